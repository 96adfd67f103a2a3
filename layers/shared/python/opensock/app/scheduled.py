"""ScheduledFunction: run a captured request at fire time, dispatched by its `kind`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opensock.observability import count, logger

ScheduledRun = Callable[[Mapping[str, Any]], None]


class ScheduledJobs:
    def __init__(self, kinds: Mapping[str, ScheduledRun]) -> None:
        """`kinds`: payload kind -> what runs it (`publish`, `storageSet`)."""
        self._kinds = dict(kinds)

    def run(self, payload: Mapping[str, Any]) -> bool:
        """Run the payload's kind; an unknown kind is logged and dropped (never retried)."""
        run = self._kinds.get(str(payload.get("kind")))
        if run is None:
            logger.error("unknown scheduled kind", extra={"kind": str(payload.get("kind"))[:64]})
            count("ScheduledDropped")
            return False
        run(payload)
        count("ScheduledRun")
        return True
