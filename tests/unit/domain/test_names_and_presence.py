"""Pure channel rules: names, `at()` parsing, presence arithmetic."""

from __future__ import annotations

import pytest

from opensock.domain import presence
from opensock.domain.model import Subscription
from opensock.domain.names import check_channel, check_data, check_event
from opensock.domain.schedule import parse_at
from opensock.errors import (
    DataTooLargeError,
    InvalidChannelNameError,
    InvalidEventNameError,
    InvalidScheduleExpressionError,
)

NOW = 1_767_607_200.0  # 2026-01-05T10:00:00Z


@pytest.mark.parametrize("name", ["", "a b", "a*", "#a", "a,b", "x" * 257, 5])
def test_bad_channel_names(name: object) -> None:
    with pytest.raises(InvalidChannelNameError):
        check_channel(name)


@pytest.mark.parametrize("name", ["", "a*", "#a", "hotsock.x", "x" * 129])
def test_bad_event_names(name: str) -> None:
    with pytest.raises(InvalidEventNameError):
        check_event(name)


def test_good_names_and_data_limit() -> None:
    assert check_event("a#b") == "a#b"
    assert check_channel("presence.é") == "presence.é"
    check_data("x" * (32 * 1024 - 2))
    with pytest.raises(DataTooLargeError):
        check_data("x" * (32 * 1024))


def test_parse_at_converts_timezone() -> None:
    at = parse_at("at(2026-01-05T12:00:00)", "Europe/Berlin", NOW)
    assert at.isoformat() == "2026-01-05T11:00:00+00:00"


@pytest.mark.parametrize(
    ("expression", "zone"),
    [
        ("at(2026-01-05T10:00:00)", None),
        ("at(2026-01-05T10:00:00Z)", None),
        ("cron(0 * * * ? *)", None),
        ("at(2026-02-30T10:00:00)", None),
        ("at(2027-01-05T10:00:00)", "Mars/Olympus"),
    ],
)
def test_parse_at_refuses(expression: str, zone: str | None) -> None:
    with pytest.raises(InvalidScheduleExpressionError):
        parse_at(expression, zone, NOW)


def sub(cid: str, uid: str, umd: object = None) -> Subscription:
    return Subscription("presence.r", cid, uid, umd, NOW, int(NOW) + 7200)


def test_presence_join_leave_and_latest_umd() -> None:
    first = presence.join_change(None, sub("A", "ana", 1), NOW)
    assert first.event == "hotsock.memberAdded"
    second = presence.join_change(first.after, sub("B", "ana", 2), NOW)
    assert second.event == "hotsock.memberUpdated"
    assert second.bytes_delta == 0
    leave_b = presence.leave_change(second.after, "B")
    assert leave_b.event == "hotsock.memberUpdated"
    assert leave_b.member.umd == 1
    leave_a = presence.leave_change(leave_b.after, "A")
    assert leave_a.event == "hotsock.memberRemoved"
    assert leave_a.bytes_delta == -presence.member_bytes("ana", 1)


def test_same_umd_join_is_silent() -> None:
    first = presence.join_change(None, sub("A", "ana"), NOW)
    assert presence.join_change(first.after, sub("B", "ana"), NOW).event is None
