"""An in-memory FanoutQueue with SQS FIFO semantics: one queue per message group.

A test decides which group's head runs next (`run_one` with a seeded random choice), so lanes
run at any relative speed, as FanoutFunction's concurrent invocations may; within a group the
messages run one at a time, in the order they were sent.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from typing import Any

from opensock.adapters.sqs import group_id, plan_group_id
from opensock.domain.fanout_jobs import FanoutBatch, FanoutJob
from opensock.jsoncodec import dumps


class FifoGroups:
    def __init__(self, seed: int = 17) -> None:
        self.groups: dict[str, deque[str]] = {}
        self._random = random.Random(seed)

    def send(self, batches: Sequence[FanoutBatch]) -> None:
        for batch in batches:
            self._put(group_id(batch), dumps(batch.to_json()))

    def plan(self, job: FanoutJob) -> None:
        self._put(plan_group_id(job.channel), dumps({"plan": job.to_json()}))

    def _put(self, group: str, body: str) -> None:
        self.groups.setdefault(group, deque()).append(body)

    @property
    def pending(self) -> int:
        return sum(len(queue) for queue in self.groups.values())

    def run_one(self, fanout: Any) -> bool:
        """FanoutFunction takes the head of one group, chosen at random; False when empty."""
        ready = sorted(group for group, queue in self.groups.items() if queue)
        if not ready:
            return False
        body = self.groups[self._random.choice(ready)].popleft()
        fanout.deliver_records({"Records": [{"body": body}]})
        return True

    def run_all(self, fanout: Any) -> None:
        while self.run_one(fanout):
            pass
