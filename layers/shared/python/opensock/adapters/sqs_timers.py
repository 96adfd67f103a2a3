"""Timers adapter: liveness timers as messages of the standard SQS `LivenessQueue`, each
delayed (`DelaySeconds`, at most 900 s) until it is due; ten per `SendMessageBatch` request.

A timer due further away than one hop arrives early and LivenessFunction sends it on again.
"""

from __future__ import annotations

from collections.abc import Sequence

from opensock.adapters.sqs import SqsQueue
from opensock.domain.timers import Timer
from opensock.jsoncodec import dumps

MAX_ENTRIES = 10


class SqsTimers(SqsQueue):
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
