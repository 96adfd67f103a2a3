"""StorageTable against moto: the conditional writes, expiry filters, paging and batch reads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto import mock_aws

from opensock.adapters.dynamodb.storage_table import StorageTable
from opensock.app.storage_writes import StorageWriter
from opensock.domain.model import Member, Origin
from opensock.domain.storage_model import StorageEntry, StorageWrite
from tests.support.env import TEST_ENV
from tests.support.fakes import FakePublisher, FrozenClock
from tests.support.storage import RecordingObservers

TABLE = TEST_ENV["TABLE_NAME"]
NOW = 1_767_607_200.0
ORIGIN = Origin(trigger="server.lambda")


@pytest.fixture
def table() -> Iterator[StorageTable]:
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        yield StorageTable(TABLE, client)


def entry(key: str, data: Any, *, expires_at: int | None = None, rev: str = "r1") -> StorageEntry:
    return StorageEntry(
        channel="game.lobby",
        key=key,
        data=data,
        writer=Member("host", {"n": 1}),
        expires_at=expires_at,
        emit=True,
        origin=Origin(trigger="client.websocket", connection_id="c1", source_ip="1.2.3.4"),
        revision=rev,
        updated_at=NOW,
    )


def test_put_get_roundtrip_and_version(table: StorageTable) -> None:
    assert table.put(entry("settings", {"b": 1, "a": [1]}), NOW).changed
    result = table.put(entry("settings", {"b": 2}, rev="r2"), NOW)
    assert result.changed and result.previous is not None
    assert result.previous.data == {"a": [1], "b": 1} and result.previous.version == 1
    stored = table.get("game.lobby", "settings", NOW)
    assert stored is not None
    assert (stored.data, stored.version, stored.revision) == ({"b": 2}, 2, "r2")
    assert stored.writer == Member("host", {"n": 1})
    assert stored.origin.connection_id == "c1" and stored.emit


def test_equal_value_fails_the_condition(table: StorageTable) -> None:
    table.put(entry("k", {"a": 1, "b": 2}), NOW)
    assert not table.put(entry("k", {"b": 2, "a": 1}, rev="r2"), NOW).changed
    assert table.get("game.lobby", "k", NOW).revision == "r1"  # type: ignore[union-attr]


def test_expired_entries_are_invisible_and_overwritable(table: StorageTable) -> None:
    table.put(entry("k", "x", expires_at=int(NOW) + 2), NOW)
    later = NOW + 2
    assert table.get("game.lobby", "k", later) is None
    assert list(table.entries("game.lobby", later)) == []
    assert table.get_many("game.lobby", ["k"], later) == []
    assert not table.delete("game.lobby", "k", later).changed
    result = table.put(entry("k", "x", rev="r2"), later)
    assert result.changed and result.previous is not None and result.previous.expires_at
    assert table.get("game.lobby", "k", later).expires_at is None  # type: ignore[union-attr]


def test_delete_only_live_entries(table: StorageTable) -> None:
    assert not table.delete("game.lobby", "k", NOW).changed
    table.put(entry("k", "x"), NOW)
    result = table.delete("game.lobby", "k", NOW)
    assert result.changed and result.previous is not None and result.previous.data == "x"
    assert table.get("game.lobby", "k", NOW) is None


def test_entries_ascending_after_and_get_many(table: StorageTable) -> None:
    for key in ["b", "a", "é", "c"]:
        table.put(entry(key, key), NOW)
    table.put(entry("z", "z", expires_at=int(NOW)), NOW)
    assert [e.key for e in table.entries("game.lobby", NOW)] == ["a", "b", "c", "é"]
    assert [e.key for e in table.entries("game.lobby", NOW, after="b")] == ["c", "é"]
    assert [e.key for e in table.entries("game.lobby", NOW, after="bb")] == ["c", "é"]
    found = table.get_many("game.lobby", ["c", "a", "missing", "z"], NOW)
    assert [e.key for e in found] == ["a", "c"]


class LockedTable:
    """moto is not thread-safe: each repository call runs under one lock."""

    def __init__(self, table: StorageTable) -> None:
        self._table = table
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._table, name)

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                result = method(*args, **kwargs)
                return list(result) if name == "entries" else result

        return locked


def test_fifty_concurrent_writers_leave_observers_on_the_final_value(
    table: StorageTable,
) -> None:
    # GIVEN 50 writers racing on one key, an observer, and frequent thread switches
    observers = RecordingObservers()
    publisher = FakePublisher()
    locked: Any = LockedTable(table)
    writer = StorageWriter(locked, observers, publisher, FrozenClock(NOW))

    def write(n: int) -> bool:
        change = StorageWrite("game.lobby", "score", {"n": n}, Member(f"u{n}"), -1, True, ORIGIN)
        return writer.apply(change).changed

    # WHEN
    with ThreadPoolExecutor(16) as pool:
        changed = list(pool.map(write, range(50)))
    # THEN every write changed the value and was announced, and nothing stale is left behind
    final = table.get("game.lobby", "score", NOW)
    assert final is not None and all(changed)
    assert {f["data"]["n"] for f in observers.frames} == set(range(50))
    assert observers.frames[-1]["data"] == final.data
    assert observers.frames[-1]["meta"] == final.writer.as_json()
    assert len(publisher.envelopes) == 50 and final.version == 50
    # the previous values chain every write to the one before it: one create, no gaps
    previous = [e["data"]["dataPrevious"] for e in publisher.envelopes]
    assert previous.count(None) == 1
    chained = {p["n"] for p in previous if p is not None}
    assert len(chained) == 49 and final.data["n"] not in chained
