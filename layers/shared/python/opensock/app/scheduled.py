"""ScheduledFunction: run a captured request at fire time, dispatched by its `kind`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock import registry
from opensock.observability import count, logger

if TYPE_CHECKING:
    from opensock.wiring import Services


def run_scheduled(payload: dict[str, Any], services: Services) -> bool:
    """Run the payload's kind; an unknown kind is logged and dropped (never retried)."""
    path = registry.SCHEDULED_KINDS.get(str(payload.get("kind")))
    if path is None:
        logger.error("unknown scheduled kind", extra={"kind": str(payload.get("kind"))[:64]})
        count("ScheduledDropped")
        return False
    registry.load(path)(payload, services)
    count("ScheduledRun")
    return True
