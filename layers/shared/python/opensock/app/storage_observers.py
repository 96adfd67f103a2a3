"""Observers of a key, reached through the channel fan-out (docs/architecture.md contract)."""

from __future__ import annotations

from typing import Any

from opensock.app.fanout import Fanout
from opensock.domain.fanout_jobs import Audience, FanoutJob


class FanoutObservers:
    """ObserverDelivery over `Fanout`: subscribers whose permissions `observe` the key."""

    def __init__(self, fanout: Fanout) -> None:
        self._fanout = fanout

    def deliver(self, channel: str, key: str, frame: dict[str, Any]) -> int:
        job = FanoutJob(channel, frame, audience=Audience.observers(key))
        return self._fanout.deliver(job).recipients
