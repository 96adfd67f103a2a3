"""Timers adapter: liveness timers as messages of the standard SQS `LivenessQueue`, each
delayed (`DelaySeconds`, at most 900 s) until it is due; ten per `SendMessageBatch` request.

A timer due further away than one hop arrives early and LivenessFunction sends it on again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opensock.domain.timers import Timer
from opensock.jsoncodec import dumps

MAX_ENTRIES = 10


class SqsTimers:
    def __init__(self, queue_url: str, client: Any = None) -> None:
        self._queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client

    def start(self, timers: Sequence[Timer], now: float) -> None:
        for start in range(0, len(timers), MAX_ENTRIES):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": dumps(timer.to_json()),
                    "DelaySeconds": timer.delay(now),
                }
                for i, timer in enumerate(timers[start : start + MAX_ENTRIES])
            ]
            response = self.client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"{len(response['Failed'])} liveness timers were not started")
