"""EventBridge Scheduler, played: one-time `at()` schedules fire at their time (moto never does).

Every ~0.2 s the schedules in moto are listed; a schedule whose `at()` instant (in its
`ScheduleExpressionTimezone`) has come invokes its Lambda target asynchronously with the
target's `Input` as the event, and is then deleted if `ActionAfterCompletion` is `DELETE`.
Recurring (`rate()`/`cron()`) schedules are reported once and not played.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tools.local.environment import resolve_function

log = logging.getLogger("tools.local")
POLL_SECONDS = 0.2
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
Dispatch = Callable[[str, Any], None]


def schedule_summaries(scheduler: Any) -> list[dict[str, Any]]:
    """Every schedule of every group (`ListSchedules`, all pages)."""
    pages = scheduler.get_paginator("list_schedules").paginate()
    return [s for page in pages for s in page.get("Schedules") or []]


def schedule_details(scheduler: Any, summary: Mapping[str, Any]) -> dict[str, Any]:
    """`GetSchedule` of a listed schedule (its expression, target and input)."""
    details: dict[str, Any] = scheduler.get_schedule(
        Name=summary["Name"], GroupName=summary.get("GroupName") or "default"
    )
    return details


def fire_time(expression: str, timezone: str | None) -> datetime | None:
    """The UTC instant of an `at(yyyy-mm-ddThh:mm:ss)` expression; None for anything else."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    local = datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(timezone or "UTC"))
    return local.astimezone(UTC)


class SchedulePlayer:
    def __init__(self, scheduler: Any, aliases: Mapping[str, str], dispatch: Dispatch) -> None:
        self.scheduler = scheduler
        self.aliases = aliases
        self.dispatch = dispatch
        self._details: dict[tuple[str, str], dict[str, Any]] = {}
        self._done: set[tuple[str, str]] = set()

    async def run(self) -> None:
        while True:
            for schedule in await asyncio.to_thread(self.due):
                await self._fire(schedule)
            await asyncio.sleep(POLL_SECONDS)

    def due(self, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        found = []
        for summary in self._summaries():
            key = (summary["Arn"], str(summary.get("LastModificationDate")))
            if key in self._done or summary.get("State") == "DISABLED":
                continue
            details = self._details.get(key) or self._get(summary, key)
            when = fire_time(
                details["ScheduleExpression"], details.get("ScheduleExpressionTimezone")
            )
            if when is None:
                log.warning(
                    "schedule %s: %s is not played locally",
                    summary["Name"],
                    details["ScheduleExpression"],
                )
                self._done.add(key)
            elif when <= now:
                self._done.add(key)
                found.append(details)
        return found

    def _summaries(self) -> list[dict[str, Any]]:
        return schedule_summaries(self.scheduler)

    def _get(self, summary: dict[str, Any], key: tuple[str, str]) -> dict[str, Any]:
        details = schedule_details(self.scheduler, summary)
        self._details[key] = details
        return details

    async def _fire(self, schedule: dict[str, Any]) -> None:
        target = schedule.get("Target") or {}
        function = resolve_function(self.aliases, str(target.get("Arn", "")))
        if function is None:
            log.warning(
                "schedule %s: target %s is not a function of the template",
                schedule["Name"],
                target.get("Arn"),
            )
        else:
            self.dispatch(function, _input(target.get("Input")))
        if schedule.get("ActionAfterCompletion") == "DELETE":
            await asyncio.to_thread(
                self.scheduler.delete_schedule,
                Name=schedule["Name"],
                GroupName=schedule["GroupName"],
            )


def _input(raw: str | None) -> Any:
    if raw is None:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return raw
