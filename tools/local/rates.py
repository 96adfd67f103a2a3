"""Recurring schedules, played: a function's `ScheduleV2` event with a `rate()` expression is
invoked asynchronously every period with the event's `Input`, as EventBridge Scheduler does.

`rate_seconds` (`--rate-seconds`, `LOCAL_RATE_SECONDS`) replaces every rate's period, so a
test can run a once-a-minute job every second. `cron()` expressions are reported, not played.
"""

from __future__ import annotations

import asyncio
import logging
import re

from tools.local.schedules import Dispatch
from tools.local.wiring import EventSource

log = logging.getLogger("tools.local")
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_period(expression: str) -> float | None:
    """Seconds between runs of a `rate(N unit)` expression; None for anything else."""
    match = _RATE.match(expression.strip())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class RatePlayer:
    def __init__(
        self, source: EventSource, dispatch: Dispatch, rate_seconds: float | None = None
    ) -> None:
        self.source = source
        self.dispatch = dispatch
        self.period = rate_seconds or rate_period(source.source)

    async def run(self) -> None:
        if self.period is None:
            log.warning("%s: %s is not played locally", self.source.function, self.source.source)
            return
        while True:
            await asyncio.sleep(self.period)
            self.dispatch(self.source.function, self.source.schedule_input)
