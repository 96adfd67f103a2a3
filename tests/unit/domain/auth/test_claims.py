"""Claims: the validated token payload, and the whole-token rules of Q-AUTH-7."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.auth.claims import Claims, ClaimsError, compact_json_size
from opensock.domain.auth.grants import MAX_STORE_SECONDS
from tests.unit.domain.auth.helpers import EXAMPLE

BASE: dict[str, Any] = {"exp": 2_000_000_000, "scope": "connect"}


def parse(**extra: Any) -> Claims:
    return Claims.from_payload({**BASE, **extra})


def reason(**extra: Any) -> str:
    with pytest.raises(ClaimsError) as caught:
        parse(**extra)
    return caught.value.reason


def channel(**directives: Any) -> dict[str, Any]:
    return {"channels": {"c": directives}}


def test_full_example_token_parses_with_spelled_out_names() -> None:
    # GIVEN the all-features example of PROTOCOL §4.5
    claims = parse(**EXAMPLE)
    # THEN every claim is reachable under its Python name
    room = claims.channels["presence.room.42"]
    assert (claims.uid, claims.user_metadata, claims.keep_alive) == ("u-7", {"name": "Ada"}, True)
    assert (claims.heartbeat_timeout, claims.audience, claims.issuer) == (
        60,
        "hotsock-eu-west-1",
        "acme-app",
    )
    assert (room.alias, room.auto_subscribe, room.history_start) == ("room", True, 0)
    assert room.messages["chat"].react == ["+1"]
    assert room.storage["cursor.*"].emit_pub_sub_event is True
    assert claims.channels["org.0"].subscribe is False
    assert claims.channels["org.0"].get_info is None  # unset stays distinguishable from false


def test_scopes_are_a_set_of_words() -> None:
    assert parse(scope="connect  subscribe").scopes == frozenset({"connect", "subscribe"})


def test_unknown_claims_and_directives_are_ignored() -> None:
    claims = parse(foo=1, channels={"c": {"mystery": "x", "messages": {"e": {"other": 1}}}})
    assert claims.channels["c"].wire() == {"messages": {"e": {}}}


def test_python_names_are_not_read_from_the_token() -> None:
    claims = parse(user_id="x", user_metadata="y", expires_at=1)
    assert (claims.uid, claims.user_metadata, claims.expires_at) == (None, None, BASE["exp"])


def test_null_directive_means_unset() -> None:
    assert parse(**channel(subscribe=None)).channels["c"].subscribe is None


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (channel(subscribe="yes"), "invalid channels claim"),
        (channel(subscribe=1), "invalid channels claim"),
        (channel(messages={"e": {"publish": "true"}}), "invalid channels claim"),
        (channel(messages={"e": {"react": [1]}}), "invalid channels claim"),
        (channel(messages={"e": {"react": "+1"}}), "invalid channels claim"),
        (channel(messages=["e"]), "invalid channels claim"),
        (channel(storage={"k": {"observe": 0}}), "invalid channels claim"),
        (channel(historyStart="0"), "invalid channels claim"),
        (channel(alias=5), "invalid channels claim"),
        ({"uid": 5}, "invalid uid claim"),
        ({"uid": "u" * 129}, "invalid uid claim"),
        ({"umd": "x" * 1023}, "invalid umd claim"),  # 1 025 bytes with the quotes
        ({"umd": "é" * 512}, "invalid umd claim"),  # 1 026 UTF-8 bytes
        ({"heartbeatTimeout": 4}, "invalid heartbeatTimeout claim"),
        ({"heartbeatTimeout": 601}, "invalid heartbeatTimeout claim"),
        ({"heartbeatTimeout": "60"}, "invalid heartbeatTimeout claim"),
        ({"heartbeatTimeout": 60.5}, "invalid heartbeatTimeout claim"),
        ({"singleUse": "true"}, "invalid singleUse claim"),
        ({"umdPropagate": 1}, "invalid umdPropagate claim"),
        ({"umdUpdate": "no"}, "invalid umdUpdate claim"),
        ({"aud": ["a", 1]}, "invalid aud claim"),
        ({"iss": 1}, "invalid iss claim"),
        ({"connectionId": 1}, "invalid connectionId claim"),
        ({"exp": "1"}, "invalid exp claim"),
        ({"scope": None}, "invalid scope claim"),
    ],
)
def test_wrong_types_and_limits_are_refused(extra: dict[str, Any], expected: str) -> None:
    assert reason(**extra) == expected


@pytest.mark.parametrize(
    "extra",
    [
        {"uid": "u" * 128},
        {"uid": "😀" * 128},  # code points, not bytes (Q-AUTH-6)
        {"umd": "x" * 1022},  # exactly 1 024 bytes
        {"umd": {"nested": [1, 2.5, None, True, "é"]}},
        {"heartbeatTimeout": 5},
        {"heartbeatTimeout": 600},
        {"heartbeatTimeout": 60.0},
        {"iat": 1},
    ],
)
def test_values_at_the_limits_are_accepted(extra: dict[str, Any]) -> None:
    parse(**extra)


def test_umd_size_is_compact_utf8_json() -> None:
    assert compact_json_size({"a": [1, "é"]}) == len('{"a":[1,"é"]}'.encode())


@pytest.mark.parametrize("store", [-1, 0, 1, MAX_STORE_SECONDS])
def test_message_store_range_is_accepted(store: int) -> None:
    assert (
        parse(**channel(messages={"e": {"store": store}})).channels["c"].messages["e"].store
        == store
    )


@pytest.mark.parametrize("store", [-2, MAX_STORE_SECONDS + 1, 1.5, True])
def test_message_store_out_of_range_is_refused(store: object) -> None:
    assert reason(**channel(messages={"e": {"store": store}})) == "invalid channels claim"


@pytest.mark.parametrize("store", [-1, 1, MAX_STORE_SECONDS])
def test_storage_store_range_is_accepted(store: int) -> None:
    assert (
        parse(**channel(storage={"k": {"store": store}})).channels["c"].storage["k"].store == store
    )


@pytest.mark.parametrize("store", [0, -2, MAX_STORE_SECONDS + 1])
def test_storage_store_zero_or_out_of_range_is_refused(store: int) -> None:
    assert reason(**channel(storage={"k": {"store": store}})) == "invalid channels claim"


@pytest.mark.parametrize(
    "channels",
    [
        {"a.*": {"alias": "a"}},  # alias on a wildcard key
        {"#regex:^a$": {"alias": "a"}},  # alias on a regex key
        {"a.*": {"autoSubscribe": True}},
        {"#regex:^a$": {"autoSubscribe": False}},
        {"a": {"alias": "x"}, "b": {"alias": "x"}},  # two keys, one alias
        {"a": {}, "b": {"alias": "x"}, "c": {"alias": "x"}},  # ... after a key without one
        {"a": {"alias": "b"}, "b": {}},  # alias equals a channel key
        {"a": {"alias": "a"}},  # alias equals its own key
        {"a": {"alias": "has space"}},
        {"a": {"alias": "star*"}},
        {"a": {"alias": "hash#"}},
        {"a": {"alias": "comma,"}},
        {"a": {"alias": ""}},
        {"a": {"alias": "x" * 257}},
        {"#regex:(?<=a)b": {}},
        {"c": {"messages": {"#regex:(?!x)": {}}}},
        {"c": {"storage": {"#regex:\\8": {}}}},
    ],
)
def test_key_rules_refuse_the_whole_token(channels: dict[str, Any]) -> None:
    assert reason(channels=channels) == "invalid channels claim"


def test_valid_aliases_are_accepted() -> None:
    claims = parse(channels={"a": {"alias": "x" * 256}, "b": {"alias": "y"}, "c*": {}})
    assert claims.channels["b"].alias == "y"


def test_single_use_needs_a_jti() -> None:
    assert reason(singleUse=True) == "single-use token without jti"
    assert reason(singleUse=True, jti="") == "single-use token without jti"
    assert parse(singleUse=True, jti="j").is_single_use


def test_wire_dump_round_trips() -> None:
    # GIVEN an entry with explicit false, unset values and nested keys
    wire = {"subscribe": False, "umdUpdate": True, "messages": {"*": {"react": True, "store": -1}}}
    claims = parse(channels={"c": wire})
    # THEN the wire dump is the same object, with nothing unset added
    assert claims.channels["c"].wire() == wire


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ClaimsError, match="invalid claims"):
        Claims.from_payload([])  # type: ignore[arg-type]
