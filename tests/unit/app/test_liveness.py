"""Liveness with fakes: when heartbeat timers close or re-arm, keep-alive chains, the sweep's
slot and who it cleans up (PROTOCOL §17, Q-HB-1)."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.app import liveness as liveness_module
from opensock.app.liveness import Liveness, LivenessSettings
from opensock.domain.model import Connection
from opensock.domain.timers import Timer, heartbeat_timer, keep_alive_timer
from tests.support.fakes import FakeConnections, FakeTimers, FrozenClock

T0 = 1_767_607_200.0


class RecordingCleanup:
    def __init__(self) -> None:
        self.ended: list[str] = []
        self.pruned: list[str] = []

    def end(self, connection_id: str) -> bool:
        self.ended.append(connection_id)
        return True

    def prune_gone(self, connection_ids: list[str]) -> int:
        self.pruned.extend(connection_ids)
        return len(connection_ids)


class RecordingMembership:
    def __init__(self) -> None:
        self.expired: list[tuple[str, str, int]] = []

    def expire_member(self, channel: str, uid: str, version: int) -> bool:
        self.expired.append((channel, uid, version))
        return True


class SweepIndex:
    def __init__(self, entries: list[tuple[str, int]]) -> None:
        self.entries = entries
        self.slots: list[int] = []

    def in_sweep_slot(self, slot: int) -> list[tuple[str, int]]:
        self.slots.append(slot)
        return self.entries


class Rig:
    def __init__(self, entries: list[tuple[str, int]] | None = None, **settings: Any) -> None:
        self.clock = FrozenClock(T0)
        self.gateway = FakeConnections()
        self.timers = FakeTimers()
        self.cleanup = RecordingCleanup()
        self.membership = RecordingMembership()
        self.index = SweepIndex(entries or [])
        self.liveness = Liveness(
            self.index,  # type: ignore[arg-type]
            self.gateway,
            self.timers,
            self.cleanup,  # type: ignore[arg-type]
            self.membership,  # type: ignore[arg-type]
            self.clock,
            LivenessSettings(**settings),
        )

    def fire(self, *timers: Timer) -> dict[str, int]:
        return self.liveness.fire(FakeTimers.as_event(timers))


def connection(**changes: Any) -> Connection:
    values: dict[str, Any] = {
        "connection_id": "C",
        "uid": "u",
        "umd": None,
        "grants": {},
        "secret": "s",
        "connected_at": T0,
        "expires_at": int(T0) + 7200,
    }
    return Connection(**{**values, **changes})


def test_arm_starts_only_the_timers_the_claims_ask_for() -> None:
    rig = Rig()
    assert rig.liveness.arm(connection()) == []
    timers = rig.liveness.arm(connection(heartbeat_timeout=30, keep_alive=True))
    assert [(t.kind, t.due) for t in timers] == [("heartbeat", T0 + 32), ("keepAlive", T0 + 570)]
    assert rig.timers.started == timers


def test_heartbeat_within_the_grace_is_not_closed() -> None:
    # GIVEN no frame since connect, deadline T0 + 5, checked 1.9 s after it
    rig = Rig()
    rig.gateway.active["C"] = T0
    rig.clock.now = T0 + 6.9
    result = rig.fire(heartbeat_timer("C", T0, 5, T0 + 6.9))
    # THEN still inside the 2 s grace: re-armed to the deadline + grace, not closed
    assert result == {"fired": 1, "rearmed": 1}
    assert rig.gateway.closed == [] and rig.timers.started[0].due == T0 + 7


def test_heartbeat_past_deadline_and_grace_closes_then_cleans_up() -> None:
    rig = Rig()
    rig.gateway.active["C"] = T0 + 10  # last frame
    rig.clock.now = T0 + 17
    rig.fire(heartbeat_timer("C", T0, 5, T0 + 17))
    assert rig.gateway.closed == ["C"] and rig.cleanup.ended == ["C"]
    assert rig.timers.started == []


def test_a_newer_frame_rearms_to_its_deadline() -> None:
    rig = Rig()
    rig.gateway.active["C"] = T0 + 14
    rig.clock.now = T0 + 17
    rig.fire(heartbeat_timer("C", T0, 5, T0 + 17))
    assert rig.gateway.closed == [] and [t.due for t in rig.timers.started] == [T0 + 21]


def test_early_timers_are_sent_on_unchanged() -> None:
    # a long wait comes back after one 900 s hop of the delay queue
    rig = Rig()
    far = keep_alive_timer("C", int(T0) + 7200, T0 + 1500)
    assert rig.fire(far) == {"fired": 0, "rearmed": 1}
    assert rig.timers.started == [far] and rig.gateway.frames == {}
    assert far.delay(T0) == 900


def test_keep_alive_stops_at_the_cap_and_on_gone() -> None:
    rig = Rig()
    rig.clock.now = T0 + 7000
    rig.fire(keep_alive_timer("C", int(T0) + 7200, T0 + 7000))
    assert rig.gateway.events("C") == ["hotsock.keepAlive"]
    assert rig.timers.started == []  # the next one would be past the 2 h cap
    rig.gateway.gone.add("C")
    rig.fire(keep_alive_timer("C", int(T0) + 7200, T0 + 7000))
    assert rig.cleanup.pruned == ["C"]


def test_member_leave_timers_go_to_membership() -> None:
    rig = Rig()
    rig.fire(Timer("memberLeave", T0, {"channel": "presence.a", "uid": "jim", "version": 4}))
    assert rig.membership.expired == [("presence.a", "jim", 4)]


def test_sweep_cleans_expired_and_gone_but_not_young_or_open() -> None:
    # GIVEN an expired record, a gone one, an open one and one still in `$connect`
    now = T0 + 10_000
    entries = [
        ("expired", int(now) - 1),
        ("gone", int(now) + 3600),
        ("open", int(now) + 3600),
        ("young", int(now) + 7200 - 5),
    ]
    rig = Rig(entries, sweep_interval=60, sweep_slots=4)
    rig.clock.now = now
    rig.gateway.gone.update({"gone", "young"})
    report = rig.liveness.sweep()
    assert rig.cleanup.ended == ["expired", "gone"]
    assert (report.checked, report.expired, report.gone) == (2, 1, 1)
    assert rig.index.slots == [int(now // 60) % 4]


def test_a_large_slot_is_shared_out_to_parallel_invocations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN five open connections, two per invocation
    monkeypatch.setattr(liveness_module, "SWEEP_BATCH", 2)
    now = T0 + 10_000
    ids = [f"c{n}" for n in range(5)]
    rig = Rig([(cid, int(now) + 3600) for cid in ids])
    rig.clock.now = now
    rig.gateway.gone.update({"c1", "c4"})
    # WHEN the sweep runs: it checks the first share and queues the others
    report = rig.liveness.sweep()
    batches = rig.timers.due(now)
    assert [t.data["connectionIds"] for t in batches] == [["c2", "c3"], ["c4"]]
    assert (report.checked, report.gone, rig.cleanup.ended) == (5, 1, ["c1"])
    # THEN the queued shares are checked by the timers' invocation
    rig.fire(*batches)
    assert rig.cleanup.ended == ["c1", "c4"]
