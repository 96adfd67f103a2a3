"""Storage values and writes as data: key and store rules, clears, the canonical JSON the
conditional write compares, and a write captured in a schedule (PROTOCOL §6, §11; S §2.5)."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.model import Member, Origin
from opensock.domain.storage_model import StorageWrite, write_from_json, write_to_json
from opensock.domain.storage_values import (
    canonical,
    is_clear,
    parse,
    validate_data,
    validate_key,
    validate_store,
)
from opensock.errors import DataTooLargeError, InvalidStorageKeyError, InvalidStoreError


# --- canonical JSON ------------------------------------------------------------------------------
def test_canonical_is_compact_sorted_and_keeps_unicode() -> None:
    value = {"b": [1, "é", {"d": 1, "c": None}], "a": True}
    assert canonical(value) == '{"a":true,"b":[1,"é",{"c":null,"d":1}]}'
    assert parse(canonical(value)) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        ([1.0, {"x": -3.0}], '[1,{"x":-3}]'),
        (2.5, "2.5"),
        (float(2**53 - 1), str(2**53 - 1)),
        (float(2**53), "9007199254740992.0"),  # past the safe range a float stays a float
        (float(-(2**53)), "-9007199254740992.0"),
    ],
)
def test_integral_floats_are_written_as_integers_within_the_safe_range(
    value: Any, text: str
) -> None:
    assert canonical(value) == text


def test_equal_json_values_have_equal_text() -> None:
    assert canonical({"a": 1, "b": [1, 2.0]}) == canonical({"b": [1, 2], "a": 1.0})
    assert canonical([1, 2]) != canonical([2, 1])


# --- rules ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("clear", [None, {}])
def test_null_and_the_empty_object_clear(clear: Any) -> None:
    assert is_clear(clear)


@pytest.mark.parametrize("value", [0, "", [], False, {"a": None}])
def test_other_falsy_values_do_not_clear(value: Any) -> None:
    assert not is_clear(value)


@pytest.mark.parametrize("key", ["k", "a" * 128, "é.ü-_/:"])
def test_valid_keys(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize("key", [None, 1, "", " ", "a" * 129, "a b", "a\tb", "a*", "a#", "a,b"])
def test_invalid_keys(key: Any) -> None:
    with pytest.raises(InvalidStorageKeyError):
        validate_key(key)


def test_data_up_to_32_kib() -> None:
    fits = "x" * (32 * 1024 - 2)
    assert validate_data(fits) == fits
    with pytest.raises(DataTooLargeError):
        validate_data(fits + "x")


@pytest.mark.parametrize(
    ("store", "value"), [(-1, -1), (1, 1), (60.0, 60), (3_155_695_200, 3_155_695_200)]
)
def test_valid_store(store: Any, value: int) -> None:
    assert validate_store(store) == value


@pytest.mark.parametrize("store", [0, -2, 3_155_695_201, 1.5, True, "60", None])
def test_invalid_store(store: Any) -> None:
    with pytest.raises(InvalidStoreError):
        validate_store(store)


# --- a write captured in a schedule ---------------------------------------------------------------
def test_a_captured_write_comes_back_as_it_was_accepted() -> None:
    origin = Origin("server.http", request_id="r-1", source_ip="198.51.100.7", user_agent="curl")
    write = StorageWrite(
        channel="match.9",
        key="rules",
        data={"rounds": 3},
        writer=Member("u-1", {"n": 1}),
        store=86_400,
        emit=True,
        origin=origin,
        deduplication_id="d-1",
    )
    captured = write_to_json(write)
    assert captured == {
        "channel": "match.9",
        "key": "rules",
        "data": {"rounds": 3},
        "store": 86_400,
        "emitPubSubEvent": True,
        "meta": {"uid": "u-1", "umd": {"n": 1}},
        "deduplicationId": "d-1",
    }
    assert write_from_json(captured, origin.to_json()) == write


def test_a_capture_without_optional_fields_reads_the_defaults() -> None:
    write = write_from_json({"channel": "c", "key": "k"}, {"trigger": "server.lambda"})
    assert (write.data, write.store, write.emit, write.deduplication_id) == (None, -1, False, None)
    assert write.writer == Member(None, None)
    assert "deduplicationId" not in write_to_json(write)
