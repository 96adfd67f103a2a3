"""The EventPublisher port over SNS and EventBridge (SERVER-API §5.3, §5.4).

Envelopes go out in batches cut by count (10 entries) and by size: an SNS `PublishBatch` holds
at most 256 KiB (messages with their attributes), an EventBridge `PutEvents` at most 1 MiB.
Entries that fail are sent again alone, after a jittered pause that doubles, up to `ATTEMPTS`
sends; a failure the request itself caused (SNS `SenderFault`, a non-retryable EventBridge
code, a 4xx refusal) is not retried. Whatever is finally dropped is logged and counted
(`PubSubFailed`). An event larger than a target takes (SNS 256 KiB; EventBridge 1 MiB since
Hotsock v1.9.0, S §5.1) is not sent to that target, the other still gets it: logged at ERROR
and counted (`PubSubTooLarge`, and `PubSubFailed`), never dropped silently. A pub/sub failure
never fails the client's operation.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from opensock.adapters.pubsub_targets import Entry, EventBridge, Outcome, Sns, Target, batches
from opensock.domain.envelopes import PubSubEvent
from opensock.observability import count, logger

ATTEMPTS = 4
BASE_SECONDS = 0.1
"""Pauses before the 2nd, 3rd, 4th send: up to 0.1, 0.2, 0.4 s (at least half of each)."""
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "Throttled", "ThrottledException", "KMSThrottling"}
)


def pause(attempt: int) -> float:
    """The wait before send number `attempt + 1` (attempt ≥ 1)."""
    bound: float = BASE_SECONDS * 2 ** (attempt - 1)
    return bound * random.uniform(0.5, 1.0)


def _retryable(exc: Exception) -> bool:
    """A whole request that raised: retry unless AWS refused the request itself (4xx)."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return True  # connection errors and the like
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
    code = exc.response.get("Error", {}).get("Code", "")
    return status >= 500 or status == 429 or code in THROTTLING_CODES


class AwsEventPublisher:
    def __init__(
        self,
        topic_arn: str,
        bus_name: str,
        sns_client: Any = None,
        events_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clients = {"sns": sns_client, "events": events_client}
        self._targets: list[Target] = []
        if topic_arn:
            self._targets.append(Sns(topic_arn, lambda: self._client("sns")))
        if bus_name:
            self._targets.append(EventBridge(bus_name, lambda: self._client("events")))
        self._sleep = sleep

    @property
    def enabled(self) -> bool:
        return bool(self._targets)

    def emit(self, events: Sequence[PubSubEvent]) -> None:
        for target in self._targets:
            entries = [target.entry(event) for event in events]
            fitting = [entry for entry in entries if entry.size <= target.max_bytes]
            if len(fitting) < len(entries):
                self._too_large(target, [e for e in entries if e.size > target.max_bytes])
            for batch in batches(fitting, target.max_bytes):
                self._deliver(target, batch)

    def _client(self, name: str) -> Any:
        if self._clients[name] is None:
            import boto3

            self._clients[name] = boto3.client(name)
        return self._clients[name]

    def _deliver(self, target: Target, batch: list[Entry]) -> None:
        pending, dropped = batch, []
        for attempt in range(ATTEMPTS):
            if attempt:
                self._sleep(pause(attempt))
            try:
                outcome = target.send(pending)
            except Exception as exc:
                logger.warning("pubsub send failed", extra={"target": target.name})
                outcome = Outcome(pending, []) if _retryable(exc) else Outcome([], pending)
            dropped += outcome.dropped
            pending = outcome.retry
            if not pending:
                break
        self._dropped(target, dropped + pending)

    def _dropped(self, target: Target, entries: list[Entry]) -> None:
        if not entries:
            return
        types = sorted({entry.event.type for entry in entries})
        extra = {"target": target.name, "events": len(entries), "types": types}
        logger.error("pubsub entries dropped", extra=extra)
        count("PubSubFailed", len(entries))

    def _too_large(self, target: Target, entries: list[Entry]) -> None:
        for entry in entries:
            extra = {
                "target": target.name,
                "type": entry.event.type,
                "channel": entry.event.metadata.get("channel"),
                "bytes": entry.size,
                "limit": target.max_bytes,
            }
            logger.error("pubsub event too large for its target", extra=extra)
        count("PubSubTooLarge", len(entries))
        count("PubSubFailed", len(entries))
