"""StorageWriter: creates, updates, no-ops, clears, expiry, pub/sub and the settle rule."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.app.storage_writes import StorageWriter
from opensock.domain.model import Member, Origin
from opensock.domain.storage_model import StorageWrite
from tests.support.fakes import FakePublisher, FrozenClock
from tests.support.storage import FakeStorageRepository, RecordingObservers

ORIGIN = Origin(
    trigger="client.websocket",
    request_id="req-1",
    connection_id="conn-1",
    source_ip="203.0.113.9",
    user_agent="Mozilla/5.0",
)
HOST = Member("host", {"name": "Host"})


class Rig:
    def __init__(self, observers: int = 1) -> None:
        self.clock = FrozenClock()
        self.repo = FakeStorageRepository()
        self.observers = RecordingObservers(observers)
        self.publisher = FakePublisher()
        counter = iter(range(1, 10_000))
        self.writer = StorageWriter(
            self.repo, self.observers, self.publisher, self.clock, lambda: f"rev{next(counter)}"
        )

    def write(
        self, data: Any, *, key: str = "settings", store: int = -1, emit: bool = True, **kw: Any
    ) -> Any:
        write = StorageWrite(
            channel="game.lobby",
            key=key,
            data=data,
            writer=kw.get("writer", HOST),
            store=store,
            emit=emit,
            origin=kw.get("origin", ORIGIN),
        )
        return self.writer.apply(write)


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_create_notifies_observers_and_emits_event(rig: Rig) -> None:
    # WHEN
    outcome = rig.write({"maxPlayers": 4}, store=3600)
    # THEN
    assert outcome.changed and outcome.previous is None and outcome.notified == 1
    assert outcome.current is not None and outcome.current.version == 1
    assert rig.observers.addressed == [("game.lobby", "settings")]
    assert rig.observers.frames == [
        {
            "event": "hotsock.channelStorageUpdated",
            "channel": "game.lobby",
            "key": "settings",
            "data": {"maxPlayers": 4},
            "meta": {"uid": "host", "umd": {"name": "Host"}},
        }
    ]
    (event,) = rig.publisher.envelopes
    assert event["type"] == "hotsock.channelStorageUpdated"
    assert event["dataType"] == "channelStorage"
    assert event["metadata"] == {
        "channel": "game.lobby",
        "connectionId": "conn-1",
        "hotsockVersion": "1.13.5",
        "key": "settings",
        "sourceIp": "203.0.113.9",
        "trigger": "client.websocket",
        "userAgent": "Mozilla/5.0",
    }
    assert event["data"] == {
        "channel": "game.lobby",
        "key": "settings",
        "data": {"maxPlayers": 4},
        "dataPrevious": None,
        "expired": False,
        "expiresAt": "2026-01-05T11:00:00Z",
        "meta": {"uid": "host", "umd": {"name": "Host"}},
    }


def test_the_stored_entry_carries_everything_the_write_said(rig: Rig) -> None:
    # WHEN a value is created, then replaced
    rig.write({"maxPlayers": 4}, store=3600, emit=True)
    created = rig.repo.get("game.lobby", "settings", rig.clock())
    rig.clock.advance(5)
    rig.write({"maxPlayers": 6}, emit=False)
    replaced = rig.repo.get("game.lobby", "settings", rig.clock())
    # THEN each stored entry holds its write's flag (the TTL expiry event depends on it, S §5.6),
    # origin (the expiry event's metadata), writer, version, time and revision
    assert created is not None and replaced is not None
    assert (created.emit, created.origin, created.writer) == (True, ORIGIN, HOST)
    assert (created.version, created.updated_at, created.revision) == (1, rig.clock() - 5, "rev1")
    assert created.expires_at == rig.clock() - 5 + 3600
    assert (replaced.emit, replaced.version, replaced.updated_at) == (False, 2, rig.clock())
    assert replaced.expires_at is None


def test_same_value_is_a_no_op(rig: Rig) -> None:
    # GIVEN
    rig.write({"a": 1, "b": [1, 2.0]})
    # WHEN the same JSON value comes back, keys reordered and 2.0 written as 2
    outcome = rig.write({"b": [1, 2], "a": 1}, writer=Member("other"))
    # THEN nothing is sent or emitted and the last writer's meta stays (Q-STOR-1)
    assert not outcome.changed
    assert len(rig.observers.frames) == 1 and len(rig.publisher.envelopes) == 1
    assert rig.repo.get("game.lobby", "settings", rig.clock()).writer == HOST  # type: ignore[union-attr]


def test_update_carries_previous_value(rig: Rig) -> None:
    rig.write({"maxPlayers": 4})
    outcome = rig.write({"maxPlayers": 6})
    assert outcome.previous is not None and outcome.previous.data == {"maxPlayers": 4}
    assert outcome.current is not None and outcome.current.version == 2
    assert rig.publisher.envelopes[-1]["data"]["dataPrevious"] == {"maxPlayers": 4}
    assert rig.observers.data() == [{"maxPlayers": 4}, {"maxPlayers": 6}]


@pytest.mark.parametrize("clear", [None, {}])
def test_null_and_empty_object_clear(rig: Rig, clear: Any) -> None:
    rig.write("lobby")
    outcome = rig.write(clear, writer=Member("admin"))
    assert outcome.changed and outcome.current is None
    assert rig.observers.frames[-1] == {
        "event": "hotsock.channelStorageUpdated",
        "channel": "game.lobby",
        "key": "settings",
        "data": None,
        "meta": {"uid": "admin", "umd": None},
    }
    event = rig.publisher.envelopes[-1]["data"]
    assert (event["data"], event["dataPrevious"], event["expiresAt"]) == (None, "lobby", None)
    assert rig.repo.get("game.lobby", "settings", rig.clock()) is None


def test_clear_of_absent_entry_is_a_no_op(rig: Rig) -> None:
    assert not rig.write(None).changed
    assert rig.observers.frames == [] and rig.publisher.envelopes == []


def test_expired_entry_counts_as_absent(rig: Rig) -> None:
    # GIVEN an entry that expired but was not deleted yet
    rig.write("x", store=2)
    rig.clock.advance(2)
    # WHEN the same value is written again, and a clear is tried
    assert not rig.write(None).changed
    outcome = rig.write("x")
    # THEN it is a create: no previous value
    assert outcome.changed and outcome.previous is None
    assert rig.publisher.envelopes[-1]["data"]["dataPrevious"] is None


def test_ttl_rounds_up_never_early(rig: Rig) -> None:
    rig.clock.now += 0.5
    outcome = rig.write("x", store=2)
    assert outcome.current.expires_at == int(rig.clock.now - 0.5) + 3


def test_emit_flag_off_sends_frames_but_no_event(rig: Rig) -> None:
    rig.write("x", emit=False)
    assert rig.observers.frames and rig.publisher.envelopes == []


def test_unobserved_key_skips_the_settle_read() -> None:
    rig = Rig(observers=0)
    rig.write("x")
    assert dict(rig.repo.calls) == {"put": 1}


def test_observed_key_costs_one_conditional_write_and_one_read(rig: Rig) -> None:
    rig.write("x")
    assert dict(rig.repo.calls) == {"put": 1, "get": 1}


def test_overtaken_writer_resends_the_current_value(rig: Rig) -> None:
    # GIVEN writer A installed "a", and writer B writes and delivers "b" before A's frame lands
    rig.observers.before_deliver = lambda: rig.write("b", writer=Member("B"))
    # WHEN
    rig.write("a", writer=Member("A"))
    # THEN every change was announced, and the last frame holds the final value
    assert rig.observers.data() == ["b", "a", "b"]
    assert rig.observers.frames[-1]["meta"] == {"uid": "B", "umd": None}
    assert set(rig.observers.addressed) == {("game.lobby", "settings")}


def test_overtaken_by_a_clear_resends_null(rig: Rig) -> None:
    rig.observers.before_deliver = lambda: rig.write(None, writer=Member("B"))
    rig.write("a", writer=Member("A"))
    assert rig.observers.data() == [None, "a", None]
    assert rig.observers.frames[-1] == {
        "event": "hotsock.channelStorageUpdated",
        "channel": "game.lobby",
        "key": "settings",
        "data": None,
        "meta": {"uid": None, "umd": None},
    }
    assert set(rig.observers.addressed) == {("game.lobby", "settings")}
    assert rig.repo.get("game.lobby", "settings", rig.clock()) is None


def test_concurrent_write_between_read_and_write_is_not_lost(rig: Rig) -> None:
    # GIVEN another writer commits "b" just before A's conditional write
    rig.repo.before_write = lambda: rig.write("b", writer=Member("B"))
    # WHEN A writes "a"
    outcome = rig.write("a", writer=Member("A"))
    # THEN both updates are announced, in commit order, and A reports B's value as previous
    assert outcome.previous is not None and outcome.previous.data == "b"
    assert rig.observers.data() == ["b", "a"]
    assert [e["data"]["data"] for e in rig.publisher.envelopes] == ["b", "a"]
