"""Pub/sub targets: how an envelope becomes an SNS or EventBridge entry, what it weighs against
the target's limit, and which failures of a send are worth retrying (SERVER-API §5.3, §5.4).

Sizes are counted as AWS counts them: an SNS message with its attributes (names, data types,
values), an EventBridge entry's `Source`, `DetailType` and `Detail`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opensock.domain.envelopes import SOURCE, PubSubEvent
from opensock.jsoncodec import dumps

MAX_ENTRIES = 10
SNS_MAX_BYTES = 256 * 1024
EVENTBRIDGE_MAX_BYTES = 1024 * 1024
RETRYABLE_EVENTBRIDGE_CODES = frozenset({"InternalFailure", "ThrottlingException"})


@dataclass(frozen=True)
class Entry:
    event: PubSubEvent
    request: dict[str, Any]
    size: int


@dataclass
class Outcome:
    retry: list[Entry]
    dropped: list[Entry]


def batches(entries: Sequence[Entry], max_bytes: int) -> list[list[Entry]]:
    """Consecutive entries, at most MAX_ENTRIES and `max_bytes` per batch."""
    cut: list[list[Entry]] = []
    size = 0
    for entry in entries:
        if not cut or len(cut[-1]) == MAX_ENTRIES or size + entry.size > max_bytes:
            cut.append([])
            size = 0
        cut[-1].append(entry)
        size += entry.size
    return cut


class Sns:
    name = "sns"
    max_bytes = SNS_MAX_BYTES

    def __init__(self, topic_arn: str, client: Callable[[], Any]) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def entry(self, event: PubSubEvent) -> Entry:
        message = dumps(event.envelope())
        attributes = event.sns_attributes()
        size = len(message.encode("utf-8")) + sum(
            len(name.encode()) + len(a["DataType"]) + len(a["StringValue"].encode())
            for name, a in attributes.items()
        )
        return Entry(event, {"Message": message, "MessageAttributes": attributes}, size)

    def send(self, batch: list[Entry]) -> Outcome:
        entries = [{"Id": str(i), **entry.request} for i, entry in enumerate(batch)]
        response = self._client().publish_batch(
            TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
        )
        outcome = Outcome([], [])
        for failure in response.get("Failed", []):
            entry = batch[int(failure["Id"])]
            (outcome.dropped if failure.get("SenderFault") else outcome.retry).append(entry)
        return outcome


class EventBridge:
    name = "eventbridge"
    max_bytes = EVENTBRIDGE_MAX_BYTES

    def __init__(self, bus_name: str, client: Callable[[], Any]) -> None:
        self._bus_name = bus_name
        self._client = client

    def entry(self, event: PubSubEvent) -> Entry:
        detail = dumps(event.envelope())
        size = len(f"{SOURCE}{event.data_type}{detail}".encode())
        request = {
            "Source": SOURCE,
            "DetailType": event.data_type,
            "Detail": detail,
            "EventBusName": self._bus_name,
        }
        return Entry(event, request, size)

    def send(self, batch: list[Entry]) -> Outcome:
        response = self._client().put_events(Entries=[entry.request for entry in batch])
        outcome = Outcome([], [])
        for entry, result in zip(batch, response.get("Entries", []), strict=False):
            code = result.get("ErrorCode")
            if code:
                retry = code in RETRYABLE_EVENTBRIDGE_CODES
                (outcome.retry if retry else outcome.dropped).append(entry)
        return outcome


Target = Sns | EventBridge
