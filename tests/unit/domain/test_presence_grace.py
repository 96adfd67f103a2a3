"""Presence with a leave grace (docs/extensions.md) and liveness timers: pure rules."""

from __future__ import annotations

from opensock.domain import presence
from opensock.domain.model import Subscription
from opensock.domain.timers import Timer, heartbeat_deadline, sweep_slot


def sub(cid: str, uid: str = "jim", umd: object = None) -> Subscription:
    return Subscription("presence.r", cid, uid, umd, created_at=0.0, expires_at=7200)


def joined(*cids: str, umd: object = None) -> presence.MemberState:
    state = None
    for n, cid in enumerate(cids):
        after = presence.join_change(state, sub(cid, umd=umd), float(n + 1)).after
        assert after is not None
        state = after
    assert state is not None
    return state


def test_last_leave_without_grace_removes_the_member() -> None:
    change = presence.leave_change(joined("a"), "a", 10.0)
    assert change.after is None and change.event == "hotsock.memberRemoved"


def test_last_leave_with_grace_lingers_silently_with_the_umd_it_showed() -> None:
    change = presence.leave_change(joined("a", umd={"n": 1}), "a", 10.0, linger=True)
    after = change.after
    assert after is not None and after.lingering and after.left_at == 10.0
    assert change.event is None  # nobody is told yet
    assert after.member.as_json() == {"uid": "jim", "umd": {"n": 1}}
    assert after.bytes == change.before.bytes  # type: ignore[union-attr]


def test_not_the_last_leave_never_lingers() -> None:
    change = presence.leave_change(joined("a", "b"), "a", 10.0, linger=True)
    assert change.after is not None and not change.after.lingering and change.event is None


def test_rejoin_within_grace_continues_the_member() -> None:
    lingering = presence.leave_change(joined("a"), "a", 10.0, linger=True).after
    same = presence.join_change(lingering, sub("b"), 11.0)
    assert same.event is None  # no memberAdded
    assert same.after is not None and not same.after.lingering
    assert same.after.joined_at == lingering.joined_at  # type: ignore[union-attr]
    changed = presence.join_change(lingering, sub("b", umd={"n": 2}), 11.0)
    assert changed.event == "hotsock.memberUpdated"


def test_expire_removes_only_the_same_lingering_version() -> None:
    lingering = presence.leave_change(joined("a"), "a", 10.0, linger=True).after
    assert lingering is not None
    change = presence.expire_change(lingering, lingering.version)
    assert change is not None and change.event == "hotsock.memberRemoved"
    assert presence.expire_change(lingering, lingering.version - 1) is None
    back = presence.join_change(lingering, sub("b"), 11.0).after
    assert presence.expire_change(back, lingering.version) is None
    assert presence.expire_change(None, 1) is None


def test_timer_json_round_trip_and_delay() -> None:
    timer = Timer("heartbeat", 100.2, {"connectionId": "C", "timeout": 5})
    assert Timer.from_json(timer.to_json()) == timer
    assert timer.delay(90.0) == 11  # rounded up: never early
    assert timer.delay(200.0) == 0


def test_heartbeat_deadline_and_sweep_slot() -> None:
    assert heartbeat_deadline(100.0, None, 5) == 105.0
    assert heartbeat_deadline(100.0, 90.0, 5) == 105.0  # connect counts as the first beat
    assert heartbeat_deadline(100.0, 130.0, 5) == 135.0
    assert [sweep_slot(60.0 * n, 60, 4) for n in range(6)] == [0, 1, 2, 3, 0, 1]
