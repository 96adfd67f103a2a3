"""Schedule rules: `at()` expressions (PROTOCOL §14), pure.

The one-time form `at(yyyy-mm-ddThh:mm:ss)` in an IANA zone (default UTC), converted to UTC,
refused unless strictly in the future (Q-SCHED-1).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opensock.errors import InvalidScheduleExpressionError, SchedulePermissionDeniedError

AT_EXPRESSION = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a tzdata directory name
        raise InvalidScheduleExpressionError("unknown scheduleExpressionTimezone") from None


def parse_at(expression: object, timezone: object, now: float) -> datetime:
    """The UTC instant of a one-time `at()` expression that lies in the future."""
    if not isinstance(expression, str) or (timezone is not None and not isinstance(timezone, str)):
        raise InvalidScheduleExpressionError("scheduleExpression must be a string")
    match = AT_EXPRESSION.fullmatch(expression)
    if match is None:
        raise InvalidScheduleExpressionError("scheduleExpression must be at(yyyy-mm-ddThh:mm:ss)")
    try:
        local = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise InvalidScheduleExpressionError("scheduleExpression is not a valid time") from None
    try:
        instant = local.replace(tzinfo=_zone(timezone)).astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted out of range by the zone's offset
        raise InvalidScheduleExpressionError("scheduleExpression is not a valid time") from None
    if instant.timestamp() <= now:
        raise InvalidScheduleExpressionError("scheduleExpression must be in the future")
    return instant


def at_expression(instant: datetime) -> str:
    return f"at({instant.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


def check_schedule_before(
    at: datetime, limit: int | None, now: float, channel: str | None = None
) -> None:
    """`scheduleBefore` must be a future instant no earlier than the fire time (§14.2)."""
    if limit is None or limit <= now or at.timestamp() > limit:
        raise SchedulePermissionDeniedError(channel=channel)
