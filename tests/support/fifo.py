"""An in-memory FanoutQueue with SQS FIFO semantics: one queue per message group.

A test decides which group's head runs next (`run_one`, a seeded random choice by default), so
lanes run at any relative speed, as FanoutFunction's concurrent invocations may. A group whose
head is being handled is blocked until the handler returns or `release`s it (an early delete);
a record the handler reports in `batchItemFailures` stays at its group's head (`retry_later`
notes the delay it asked for).
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opensock.adapters.sqs import group_id, plan_group_id
from opensock.domain.fanout_jobs import FanoutBatch, FanoutJob
from opensock.jsoncodec import dumps

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class Message:
    message_id: str
    body: str
    group: str


class FifoGroups:
    def __init__(self, seed: int = 17) -> None:
        self.groups: dict[str, deque[Message]] = {}
        self.in_flight: set[str] = set()
        self.released = threading.Event()
        self.retries: list[tuple[str, int]] = []
        self._random = random.Random(seed)
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def send(self, batches: Sequence[FanoutBatch]) -> None:
        for batch in batches:
            self._put(group_id(batch), dumps(batch.to_json()))

    def plan(self, job: FanoutJob) -> None:
        self._put(plan_group_id(job.channel), dumps({"plan": job.to_json()}))

    def release(self, receipt_handle: str) -> None:
        with self._lock:
            self._remove(receipt_handle)
        self.released.set()

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self.retries.append((receipt_handle, seconds))

    def _put(self, group: str, body: str) -> None:
        with self._lock:
            message = Message(f"m{next(self._ids)}", body, group)
            self.groups.setdefault(group, deque()).append(message)

    def _remove(self, message_id: str) -> None:
        for queue in self.groups.values():
            for message in queue:
                if message.message_id == message_id:
                    queue.remove(message)
                    self.in_flight.discard(message.group)
                    return

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self.groups.values())

    def ready(self) -> list[str]:
        with self._lock:
            return sorted(g for g, q in self.groups.items() if q and g not in self.in_flight)

    def run_one(self, handler: Handler, group: str | None = None) -> bool:
        """FanoutFunction takes the head of one ready group (`group`, else chosen at random);
        False when none is ready."""
        with self._lock:
            ready = sorted(g for g, q in self.groups.items() if q and g not in self.in_flight)
            if not ready:
                return False
            chosen = group if group is not None else self._random.choice(ready)
            message = self.groups[chosen][0]
            self.in_flight.add(chosen)
        record = {"messageId": message.message_id, "receiptHandle": message.message_id,
                  "body": message.body}  # fmt: skip
        result = handler({"Records": [record]})
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        with self._lock:
            if message.message_id not in failed:
                self._remove(message.message_id)
            self.in_flight.discard(chosen)
        return True

    def run_all(self, handler: Handler) -> None:
        while self.run_one(handler):
            pass
