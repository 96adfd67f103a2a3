"""Pure umd update planning: member changes, displayed umd, capacity (Q-PRES-1/2/4/6)."""

from __future__ import annotations

import pytest

from opensock.domain.model import Member, Subscription
from opensock.domain.presence import MemberState
from opensock.domain.user_metadata_plan import check_capacity, plan_update, same_json
from opensock.errors import PresenceCapacityReachedError

NOW = 1_000.0


def sub(
    cid: str = "A", uid: str = "ana", umd: object = None, channel: str = "presence.r"
) -> Subscription:
    return Subscription(channel, cid, uid, umd, created_at=0.0, expires_at=9_999)


def state(uid: str, joined_at: float, **conns: tuple[object, float]) -> MemberState:
    return MemberState(uid=uid, joined_at=joined_at, version=1, conns=dict(conns))


def test_standard_channel_plan_has_no_member() -> None:
    update = plan_update(sub(channel="room"), {"s": 1}, None, NOW)
    assert update.sub.umd == {"s": 1}
    assert update.member is None
    assert update.member_event is None


def test_presence_plan_updates_member_and_list_in_join_order() -> None:
    # GIVEN ben joined first, ana second
    states = [state("ben", 1.0, B=(None, 1.0)), state("ana", 2.0, A=(None, 2.0))]
    # WHEN ana's subscription gets a new umd
    update = plan_update(sub(), {"status": "away"}, states, NOW)
    # THEN the member shows it and the list keeps first-join order
    assert update.member_event == "hotsock.memberUpdated"
    assert update.member is not None and update.member.member == Member("ana", {"status": "away"})
    assert update.members == (Member("ben", None), Member("ana", {"status": "away"}))
    assert update.member.after is not None and update.member.after.version == 2


def test_json_equal_umd_is_no_member_event() -> None:
    states = [state("ana", 1.0, A=({"a": 1, "b": 2}, 1.0))]
    update = plan_update(sub(), {"b": 2, "a": 1}, states, NOW)
    assert update.member_event is None
    assert same_json({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same_json(1, "1")


def test_update_of_one_device_becomes_the_displayed_umd() -> None:
    # GIVEN ana on two connections, the laptop's umd set last
    states = [state("ana", 1.0, PHONE=("phone", 1.0), LAPTOP=("laptop", 5.0))]
    # WHEN the phone updates (even at an earlier clock reading)
    update = plan_update(sub("PHONE"), "phone-2", states, 2.0)
    # THEN the phone's umd is the most recently set one (Q-PRES-2)
    assert update.member is not None and update.member.member.umd == "phone-2"


def test_capacity_counts_the_growth_only() -> None:
    states = [state("ana", 1.0, A=(None, 1.0)), state("ben", 2.0, B=(None, 2.0))]
    total = sum(s.bytes for s in states)
    grow = plan_update(sub(), "x" * 10, states, NOW)
    assert grow.member is not None
    delta = grow.member.bytes_delta
    assert check_capacity(grow, states, total + delta) is grow
    with pytest.raises(PresenceCapacityReachedError) as refused:
        check_capacity(grow, states, total + delta - 1)
    assert refused.value.channel == "presence.r"
    shrink = plan_update(sub(), None, [state("ana", 1.0, A=("long" * 10, 1.0))], NOW)
    assert check_capacity(shrink, [], 0) is shrink
    standard = plan_update(sub(channel="room"), "x" * 500, None, NOW)
    assert check_capacity(standard, [], 0) is standard
