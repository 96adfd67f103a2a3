"""Every pub/sub event the service sent, as SERVER-API §5 envelopes, oldest first.

The recorder observes the pub/sub SNS topic and EventBridge bus the way a consumer would: an
SQS queue subscribed to the topic (raw delivery) and a bus rule matching everything with an SQS
target. Both queues drain into one list; when both transports carry the same envelope it is
recorded once (each envelope is matched against one pending copy from the other transport).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

QUEUE_PREFIX = "opensock-local-recorder"


def _canonical(envelope: Any) -> str:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"))


class PubSubRecorder:
    def __init__(self, sqs: Any, sns: Any, events: Any) -> None:
        self.sqs = sqs
        self.sns = sns
        self.events = events
        self.recorded: list[Any] = []
        self._queues: dict[str, str] = {}
        self._pending: dict[str, Counter[str]] = {}
        self._lock = threading.Lock()

    def _queue(self, transport: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=f"{QUEUE_PREFIX}-{transport}")["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self._queues[transport] = url
        self._pending[transport] = Counter()
        return url, attributes["Attributes"]["QueueArn"]

    def watch_topic(self, topic_arn: str) -> None:
        _, arn = self._queue("sns")
        self.sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )

    def watch_bus(self, bus_name: str) -> None:
        _, arn = self._queue("eventbridge")
        rule = f"{QUEUE_PREFIX}-all"
        pattern = json.dumps({"source": [{"prefix": ""}]})
        self.events.put_rule(Name=rule, EventBusName=bus_name, EventPattern=pattern)
        self.events.put_targets(
            Rule=rule, EventBusName=bus_name, Targets=[{"Id": "recorder", "Arn": arn}]
        )

    def drain(self) -> None:
        """Move everything delivered so far into `recorded` (thread-safe; blocking)."""
        with self._lock:
            for transport, url in self._queues.items():
                while messages := self._receive(url):
                    for message in messages:
                        self._record(transport, message["Body"])

    def _receive(self, url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = (
            self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages"
            )
            or []
        )
        if messages:
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ]
            self.sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        return messages

    def _record(self, transport: str, body: str) -> None:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body
        envelope = (
            parsed.get("detail")
            if transport == "eventbridge" and isinstance(parsed, dict)
            else parsed
        )
        key = _canonical(envelope)
        if self._pending[transport][key]:
            self._pending[transport][key] -= 1
            return
        for other in self._pending:
            if other != transport:
                self._pending[other][key] += 1
        self.recorded.append(envelope)

    def events_of(self, event_type: str | None = None) -> list[Any]:
        self.drain()
        return [
            e
            for e in self.recorded
            if event_type is None or (isinstance(e, dict) and e.get("type") == event_type)
        ]
