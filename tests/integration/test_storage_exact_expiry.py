"""Exact storage expiry (extension, issue #19) against moto: the schedule of each expiring
write, its clear at fire time (once, observers and pub/sub), a rewritten entry left alone, the
TTL sweep announcing what the schedule did not reach, and the setting off."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.adapters.dynamodb.storage_table import StorageTable
from opensock.app.storage_expiry import StorageExpiry
from opensock.app.storage_writes import EXPIRE_KIND, StorageWriter
from opensock.domain.model import Member, Origin
from opensock.domain.storage_model import Increment, StorageWrite
from tests.integration.test_storage_table import NOW, table  # noqa: F401
from tests.support.fakes import FakePublisher, FrozenClock
from tests.support.storage import FakeScheduler, RecordingObservers

LOBBY = "game.lobby"
EXPIRED = {
    "event": "hotsock.channelStorageUpdated",
    "channel": LOBBY,
    "key": "typing.ann",
    "data": None,
    "meta": {"uid": None, "umd": None, "expired": True},
}


class Decoded:
    """StreamDecoder fake: the records are the removed entries themselves."""

    def expired_entries(self, records: Any) -> list[Any]:
        return list(records)


class Rig:
    def __init__(self, storage: StorageTable, exact: bool = True) -> None:
        self.table = storage
        self.clock = FrozenClock(NOW)
        self.observers = RecordingObservers()
        self.publisher = FakePublisher()
        self.scheduler = FakeScheduler()
        self.writer = StorageWriter(
            storage,
            self.observers,
            self.publisher,
            self.clock,
            expiries=self.scheduler if exact else None,
        )
        self.expiry = (
            StorageExpiry(Decoded(), self.publisher, storage, self.observers, self.clock)
            if exact
            else StorageExpiry(Decoded(), self.publisher)
        )

    def set(self, data: Any, store: int = 3, **kw: Any) -> Any:
        write = StorageWrite(
            LOBBY, "typing.ann", data, Member("ann"), store, True, Origin("client.websocket"), **kw
        )
        return self.writer.apply(write)

    def fire(self, index: int = -1) -> None:
        _at, _zone, payload = self.scheduler.schedules[index]
        assert payload["kind"] == EXPIRE_KIND
        self.expiry.run_scheduled(payload)


@pytest.fixture
def rig(table: StorageTable) -> Rig:  # noqa: F811
    return Rig(table)


def test_an_expiring_write_is_cleared_at_its_expiry_once(rig: Rig) -> None:
    # GIVEN an entry written for 3 s
    written = rig.set(True)
    ((at, zone, payload),) = rig.scheduler.schedules
    # THEN its clear is scheduled at the expiry, for that write
    assert at.timestamp() == NOW + 3 == written.current.expires_at and zone == "UTC"
    assert payload == {
        "kind": EXPIRE_KIND,
        "channel": LOBBY,
        "key": "typing.ann",
        "revision": written.current.revision,
    }
    # WHEN the schedule fires at the expiry
    rig.clock.advance(3)
    rig.fire()
    # THEN observers see it cleared, and pub/sub has the expiry event once
    assert rig.observers.frames[-1] == EXPIRED
    (expired,) = [e for e in rig.publisher.envelopes if e["data"].get("expired")]
    assert expired["data"]["data"] is None and expired["data"]["dataPrevious"] is True
    assert rig.table.get(LOBBY, "typing.ann", rig.clock()) is None
    # AND a second firing (a retry) or a TTL sweep finds nothing more to announce
    rig.fire()
    assert rig.expiry.expire([]) == (0, 0)
    assert rig.observers.frames[-1] == EXPIRED and len(rig.observers.frames) == 2


def test_a_rewritten_entry_is_not_cleared_by_its_old_expiry(rig: Rig) -> None:
    # GIVEN an entry rewritten before its first expiry
    rig.set(True)
    rig.clock.advance(2)
    rig.set("again")
    # WHEN the first expiry fires
    rig.clock.advance(1)
    rig.fire(0)
    # THEN nothing changes; the second expiry clears it
    assert rig.table.get(LOBBY, "typing.ann", rig.clock()) is not None
    assert rig.observers.data() == [True, "again"]
    rig.clock.advance(2)
    rig.fire(1)
    assert rig.observers.frames[-1] == EXPIRED


def test_an_early_firing_leaves_the_entry_to_the_ttl_sweep_which_announces_it(rig: Rig) -> None:
    written = rig.set(True)
    rig.fire()  # clock skew: before the expiry
    assert rig.observers.data() == [True]
    rig.clock.advance(3)
    assert rig.expiry.expire([written.current]) == (1, 1)
    assert rig.observers.frames[-1] == EXPIRED


def test_counters_and_forever_entries(rig: Rig) -> None:
    rig.set(None, increment=Increment(1))
    rig.set(1, store=-1)
    assert len(rig.scheduler.schedules) == 1  # the step's; a forever entry has none


def test_off_is_hotsock_behaviour(table: StorageTable) -> None:  # noqa: F811
    rig = Rig(table, exact=False)
    written = rig.set(True)
    assert rig.scheduler.schedules == []
    rig.clock.advance(3)
    assert rig.expiry.expire([written.current]) == (1, 1)
    assert rig.observers.data() == [True]
    rig.expiry.run_scheduled({"kind": EXPIRE_KIND, "channel": LOBBY, "key": "k", "revision": "r"})
    assert rig.observers.data() == [True]
