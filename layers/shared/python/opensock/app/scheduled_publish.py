"""Scheduled publishes at fire time (§14.3): the captured message, delivered without re-checks.

EventBridge Scheduler and asynchronous Lambda invocations deliver at least once, so each
schedule carries a `scheduleId`; its first firing claims it, and a repeat is dropped. A firing
that fails releases its claim, so the retry still delivers (nothing is lost).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.domain.messages import Outgoing, deliver, origin_from_json
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.wiring import Services

# Scheduler retries for up to 24 h by default; a firing is remembered that long.
REPEAT_WINDOW_SECONDS = 86_400


def run_scheduled_publish(payload: dict[str, Any], services: Services) -> None:
    marker = f"schedule#{payload['scheduleId']}" if payload.get("scheduleId") else None
    if marker and not services.dedup.claim(marker, REPEAT_WINDOW_SECONDS):
        count("ScheduledRepeatDropped")
        return
    outgoing = Outgoing.from_json(payload["request"])
    origin = origin_from_json(payload.get("origin") or {"trigger": "server.lambda"})
    try:
        deliver(outgoing, origin, services)
    except Exception:
        if marker:
            services.dedup.release(marker)
        raise
