"""Conditional storage writes and counters (extensions, issue #19) against moto.

The seat race (50 writers, `ifAbsent`: exactly one wins), `ifVersion`, conditional clears, and
counters (atomic steps with a ceiling and a floor, from an absent entry or a plain integer),
through StorageWriter over the real StorageTable, then the wire shapes through the handlers.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from opensock.adapters.dynamodb.storage_table import StorageTable
from opensock.app.storage_writes import StorageWriter
from opensock.domain.model import Member, Origin
from opensock.domain.storage_model import Increment, StorageWrite
from opensock.errors import (
    StorageConditionFailedError,
    StorageCounterLimitError,
    StorageNotACounterError,
)
from tests.integration.test_storage_table import NOW, LockedTable, table  # noqa: F401
from tests.support.fakes import FakePublisher, FrozenClock
from tests.support.storage import RecordingObservers

ORIGIN = Origin(trigger="client.websocket")
LOBBY = "game.lobby"


class Rig:
    def __init__(self, storage: StorageTable) -> None:
        self.table = storage
        self.observers = RecordingObservers()
        self.publisher = FakePublisher()
        locked: Any = LockedTable(storage)
        self.writer = StorageWriter(locked, self.observers, self.publisher, FrozenClock(NOW))

    def set(self, key: str, data: Any, uid: str = "u", **kw: Any) -> Any:
        write = StorageWrite(LOBBY, key, data, Member(uid), -1, True, ORIGIN, **kw)
        return self.writer.apply(write)

    def step(self, key: str, by: int, uid: str = "u", **bounds: Any) -> Any:
        return self.set(key, None, uid, increment=Increment(by, **bounds))


@pytest.fixture
def rig(table: StorageTable) -> Rig:  # noqa: F811
    return Rig(table)


def test_fifty_writers_race_for_one_seat_and_exactly_one_wins(rig: Rig) -> None:
    # GIVEN 50 players taking seat 3 with ifAbsent
    def take(n: int) -> int | None:
        try:
            rig.set("seat.3", {"player": n}, f"u{n}", expected_version=0)
        except StorageConditionFailedError as err:
            assert err.version == 1 and err.details()["version"] == 1
            return None
        return n

    # WHEN they race
    with ThreadPoolExecutor(16) as pool:
        winners = [n for n in pool.map(take, range(50)) if n is not None]
    # THEN one wins; observers and pub/sub saw its write only; the losers were told its value
    assert len(winners) == 1
    final = rig.table.get(LOBBY, "seat.3", NOW)
    assert final is not None and final.data == {"player": winners[0]} and final.version == 1
    assert rig.observers.data() == [{"player": winners[0]}]
    assert len(rig.publisher.envelopes) == 1


def test_if_version_writes_only_on_the_version_read(rig: Rig) -> None:
    # GIVEN an entry at version 2
    rig.set("round", "lobby")
    assert rig.set("round", "playing").current.version == 2
    # WHEN a writer holding version 1 tries, then one holding version 2
    with pytest.raises(StorageConditionFailedError) as refused:
        rig.set("round", "stale", expected_version=1)
    won = rig.set("round", "ended", expected_version=2)
    # THEN the stale write changed nothing and reported the current version and value
    assert refused.value.details() == {
        "version": 2,
        "data": "playing",
        "meta": {"uid": "u", "umd": None},
    }
    assert won.changed and won.current.version == 3
    assert rig.observers.data() == ["lobby", "playing", "ended"]


def test_conditions_on_absent_entries_and_clears(rig: Rig) -> None:
    # an absent entry has version 0: ifVersion on it fails, a conditional clear of it is a no-op
    with pytest.raises(StorageConditionFailedError) as refused:
        rig.set("seat.1", "x", expected_version=1)
    assert refused.value.details() == {"version": 0, "data": None, "meta": None}
    assert not rig.set("seat.1", None, expected_version=0).changed
    # a live entry: ifAbsent and a stale clear fail, a clear on its version succeeds
    rig.set("seat.1", "taken")
    with pytest.raises(StorageConditionFailedError):
        rig.set("seat.1", None, expected_version=0)
    with pytest.raises(StorageConditionFailedError):
        rig.set("seat.1", None, expected_version=2)
    assert rig.set("seat.1", None, expected_version=1).changed
    assert rig.table.get(LOBBY, "seat.1", NOW) is None
    # the same value on the right version is an ordinary no-op (nothing sent)
    rig.set("seat.2", "same")
    assert not rig.set("seat.2", "same", expected_version=1).changed
    assert rig.observers.data() == ["taken", None, "same"]


def test_twenty_voters_reach_exactly_twenty_and_never_pass_the_ceiling(rig: Rig) -> None:
    # WHEN 25 voters increment a counter whose ceiling is 20
    def vote(n: int) -> bool:
        try:
            rig.step("votes", 1, f"u{n}", high=20)
        except StorageCounterLimitError as err:
            assert err.details()["data"] == 20
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        accepted = list(pool.map(vote, range(25)))
    # THEN exactly 20 were counted; observers saw every value (a few twice: the settle rule),
    # none above 20, and 20 last
    assert accepted.count(True) == 20
    final = rig.table.get(LOBBY, "votes", NOW)
    assert final is not None and final.data == 20 and final.counter and final.version == 20
    assert set(rig.observers.data()) == set(range(1, 21)) and rig.observers.data()[-1] == 20
    previous = sorted(e["data"]["dataPrevious"] or 0 for e in rig.publisher.envelopes)
    assert previous == list(range(20))


def test_counter_from_a_plain_integer_with_a_floor(rig: Rig) -> None:
    # GIVEN the server set "seats left" to 2
    rig.set("seats", 2, uid="host")
    # WHEN three players take a seat with min 0
    first = rig.step("seats", -1, "a", low=0)
    second = rig.step("seats", -1, "b", low=0)
    with pytest.raises(StorageCounterLimitError) as refused:
        rig.step("seats", -1, "c", low=0)
    # THEN the third is refused with the current value; the writes carried the steppers' meta
    assert first.current.data == 1 and first.previous.data == 2
    assert second.current.data == 0 and second.current.counter
    assert refused.value.details() == {"version": 3, "data": 0, "meta": {"uid": "b", "umd": None}}
    # a plain set replaces the counter, which counts on from the value set
    rig.set("seats", 5, uid="host")
    stored = rig.table.get(LOBBY, "seats", NOW)
    assert stored is not None and stored.data == 5 and not stored.counter
    assert rig.step("seats", 2).current.data == 7


def test_a_non_integer_is_not_a_counter(rig: Rig) -> None:
    rig.set("title", "Round 1")
    with pytest.raises(StorageNotACounterError) as refused:
        rig.step("title", 1)
    assert refused.value.details()["version"] == 1
    assert rig.observers.data() == ["Round 1"]


# --- the wire --------------------------------------------------------------------------------
GRANTS = {LOBBY: {"storage": {"seat.*": {"set": True}, "votes": {"set": True, "get": True}}}}


def test_websocket_refusal_carries_the_version_and_the_value_only_with_get(stack: Any) -> None:
    from functions.channel_storage_set.app import lambda_handler
    from tests.support.events import ws_event
    from tests.support.fakes import FakeLambdaContext
    from tests.support.storage import open_connection

    stack.clock = FrozenClock(NOW)
    open_connection(stack, "c1", GRANTS, uid="c1")

    def send(**body: Any) -> dict[str, Any]:
        event = ws_event("channel_storage_set", connection_id="c1", body={"event": "x", **body})
        return lambda_handler(event, FakeLambdaContext(), stack.app)  # type: ignore[no-any-return]

    assert send(channel=LOBBY, key="seat.1", data="me", ifAbsent=True) == {"statusCode": 200}
    lost = json.loads(send(channel=LOBBY, key="seat.1", data="me", ifAbsent=True)["body"])
    assert lost == {
        "event": "hotsock.error",
        "channel": LOBBY,
        "error": {
            "code": "STORAGE_CONDITION_FAILED",
            "message": "the storage entry is not in the expected state",
            "version": 1,
        },
    }
    assert send(channel=LOBBY, key="votes", increment=1, max=1) == {"statusCode": 200}
    full = json.loads(send(channel=LOBBY, key="votes", increment=1, max=1)["body"])
    assert full["error"] == {
        "code": "STORAGE_COUNTER_LIMIT",
        "message": "the increment would pass the counter's bound",
        "version": 1,
        "data": 1,
        "meta": {"uid": "c1", "umd": None},
    }
    bad = json.loads(send(channel=LOBBY, key="votes", data=3, increment=1)["body"])
    assert bad["error"]["code"] == "INVALID_MESSAGE"


def test_server_publish_answers_the_version_and_the_counter(stack: Any) -> None:
    from functions.publish.app import lambda_handler as publish
    from tests.support.fakes import FakeLambdaContext

    stack.clock = FrozenClock(NOW)
    base = {"channel": LOBBY, "event": "hotsock.channelStorageSet"}

    def call(**body: Any) -> Any:
        return publish({**base, **body}, FakeLambdaContext(), stack.app)

    assert call(key="round", data="a") == base
    assert call(key="round", data="b", ifVersion=1) == {**base, "version": 2}
    assert call(key="round", data="c", ifVersion=1) == {
        "error": {
            "code": "STORAGE_CONDITION_FAILED",
            "message": "the storage entry is not in the expected state",
            "version": 2,
            "data": "b",
            "meta": {"uid": None, "umd": None},
        }
    }
    assert call(key="likes", increment=5) == {**base, "version": 1, "data": 5}
    assert call(key="likes", increment=-2, min=0) == {**base, "version": 2, "data": 3}


def test_a_scheduled_conditional_write_is_checked_at_fire_time(stack: Any) -> None:
    from opensock.domain.model import Origin as Captured
    from tests.support.storage import FakeScheduler

    # GIVEN a server write scheduled with ifAbsent, accepted without checking the condition
    stack.clock = FrozenClock(NOW)
    stack.scheduler = FakeScheduler()
    payload = {"channel": LOBBY, "event": "hotsock.channelStorageSet", "key": "seat.9"}
    later = "at(2027-01-01T00:00:00)"
    answer = stack.app.publishing.server_publish(
        {**payload, "data": "late", "ifAbsent": True, "scheduleExpression": later},
        Captured("server.lambda"),
    )
    assert "scheduleArn" in answer and "version" not in answer
    ((_at, _zone, job),) = stack.scheduler.schedules
    assert job["request"]["ifVersion"] == 0
    # WHEN the seat is taken before it fires
    stack.app.publishing.server_publish({**payload, "data": "early"}, Captured("server.lambda"))
    stack.app.scheduled.run(job)
    # THEN the scheduled write is dropped
    entry = stack.storage_entries.get(LOBBY, "seat.9", NOW)
    assert entry is not None and entry.data == "early" and entry.version == 1


def test_client_http_api_answers_versions_and_409(channel_stack: Any) -> None:
    from tests.integration.test_http_api import request
    from tests.support.channels import open_connection as connect

    conn = connect(channel_stack, "A", GRANTS)
    creds = {"connectionId": "A", "connectionSecret": conn.secret}
    seat = {"channel": LOBBY, "key": "seat.1"}

    def call(action: str, **body: Any) -> tuple[int, Any]:
        status, reply, _ = request(channel_stack, f"/connection/{action}", body, **creds)
        return status, reply

    assert call("channelStorageSet", **seat, data="me", ifAbsent=True) == (
        202,
        {"channel": LOBBY, "event": "hotsock.channelStorageSet", "version": 1},
    )
    status, reply = call("channelStorageSet", **seat, data="me", ifVersion=2)
    assert status == 409 and reply["error"]["version"] == 1 and "data" not in reply["error"]
    assert call("channelStorageSet", key="votes", channel=LOBBY, increment=3) == (
        202,
        {"channel": LOBBY, "event": "hotsock.channelStorageSet", "version": 1, "data": 3},
    )
    status, reply = call("channelStorageGet", key="votes", channel=LOBBY, version=True)
    assert status == 200 and reply["meta"] == {"uid": None, "umd": None, "version": 1}
    status, reply = call("channelStorageGet", key="votes", channel=LOBBY)
    assert reply["meta"] == {"uid": None, "umd": None} and reply["data"] == 3
