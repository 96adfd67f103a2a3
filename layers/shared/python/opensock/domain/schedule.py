"""Scheduling: `at()` expressions (PROTOCOL §14) and one-time EventBridge Scheduler schedules.

`parse_at` is pure: the one-time form `at(yyyy-mm-ddThh:mm:ss)` in an IANA zone (default UTC),
converted to UTC, refused unless strictly in the future (Q-SCHED-1). `EventBridgeScheduler`
creates a schedule named by a new ULID in the installation's group that runs ScheduledFunction
with the captured payload once and then deletes itself (`ActionAfterCompletion: DELETE`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opensock.errors import InvalidScheduleExpressionError
from opensock.jsoncodec import dumps

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


class Scheduler(Protocol):
    def schedule(self, at_utc: datetime, timezone: str, payload: dict[str, Any]) -> str:
        """Create a one-time schedule that runs the payload; returns the schedule ARN."""
        ...


class EventBridgeScheduler:
    def __init__(self, group_name: str, role_arn: str, target_arn: str, client: Any = None) -> None:
        self._group = group_name
        self._role = role_arn
        self._target = target_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("scheduler")
        return self._client

    def schedule(self, at_utc: datetime, timezone: str, payload: dict[str, Any]) -> str:
        from ulid import ULID

        response = self.client.create_schedule(
            Name=str(ULID()),
            GroupName=self._group,
            ScheduleExpression=at_expression(at_utc),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": self._target, "RoleArn": self._role, "Input": dumps(payload)},
        )
        return str(response["ScheduleArn"])
