"""The EventPublisher port over SNS and EventBridge: pub/sub envelopes in batches of ten.

A pub/sub failure never fails the client's operation: failed entries are retried once, then
logged and counted (`PubSubFailed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opensock.domain.envelopes import SOURCE, PubSubEvent
from opensock.jsoncodec import dumps
from opensock.observability import count, logger

BATCH = 10


def _chunks(items: Sequence[PubSubEvent]) -> list[Sequence[PubSubEvent]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


class AwsEventPublisher:
    def __init__(
        self, topic_arn: str, bus_name: str, sns_client: Any = None, events_client: Any = None
    ) -> None:
        self._topic_arn = topic_arn
        self._bus_name = bus_name
        self._sns = sns_client
        self._events = events_client

    @property
    def enabled(self) -> bool:
        return bool(self._topic_arn or self._bus_name)

    def emit(self, events: Sequence[PubSubEvent]) -> None:
        if not events:
            return
        for chunk in _chunks(list(events)):
            if self._topic_arn:
                self._send_sns(chunk)
            if self._bus_name:
                self._send_eventbridge(chunk)

    def _client(self, name: str) -> Any:
        import boto3

        return boto3.client(name)

    def _send_sns(self, chunk: Sequence[PubSubEvent], attempt: int = 1) -> None:
        if self._sns is None:
            self._sns = self._client("sns")
        entries = [
            {
                "Id": str(i),
                "Message": dumps(event.envelope()),
                "MessageAttributes": event.sns_attributes(),
            }
            for i, event in enumerate(chunk)
        ]
        try:
            response = self._sns.publish_batch(
                TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
            )
        except Exception:
            logger.exception("pubsub sns publish failed", extra={"events": len(chunk)})
            count("PubSubFailed", len(chunk))
            return
        failed = [chunk[int(entry["Id"])] for entry in response.get("Failed", [])]
        self._after_failures("sns", failed, attempt, self._send_sns)

    def _send_eventbridge(self, chunk: Sequence[PubSubEvent], attempt: int = 1) -> None:
        if self._events is None:
            self._events = self._client("events")
        entries = [
            {
                "Source": SOURCE,
                "DetailType": event.data_type,
                "Detail": dumps(event.envelope()),
                "EventBusName": self._bus_name,
            }
            for event in chunk
        ]
        try:
            response = self._events.put_events(Entries=entries)
        except Exception:
            logger.exception("pubsub eventbridge put failed", extra={"events": len(chunk)})
            count("PubSubFailed", len(chunk))
            return
        results = response.get("Entries", [])
        failed = [
            event for event, result in zip(chunk, results, strict=False) if "ErrorCode" in result
        ]
        self._after_failures("eventbridge", failed, attempt, self._send_eventbridge)

    def _after_failures(
        self, target: str, failed: list[PubSubEvent], attempt: int, resend: Any
    ) -> None:
        if not failed:
            return
        if attempt < 2:
            resend(failed, attempt + 1)
            return
        logger.error("pubsub entries failed", extra={"target": target, "events": len(failed)})
        count("PubSubFailed", len(failed))
