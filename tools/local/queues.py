"""SQS event sources: queue messages reach the function the template subscribes to the queue.

Like Lambda's poller: batches up to `BatchSize`, deletes the batch when the function succeeds,
keeps the messages reported in `batchItemFailures` (with `ReportBatchItemFailures`), and keeps
the whole batch when the function raises (it reappears after the visibility timeout). The
poller wakes as soon as a message is sent, so there is no polling delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from tools.local import records
from tools.local.invoker import HandlerError, Invoker
from tools.local.wiring import EventSource

log = logging.getLogger("tools.local")
IDLE_WAIT_SECONDS = 0.5


class QueuePoller:
    def __init__(
        self,
        source: EventSource,
        queue_url: str,
        queue_arn: str,
        invoker: Invoker,
        sqs: Any,
        region: str,
    ) -> None:
        self.source = source
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.invoker = invoker
        self.sqs = sqs
        self.region = region
        self.wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def on_aws_call(self, target: str) -> None:
        """Called from any thread after each AWS call; wakes the poller on SQS sends."""
        loop = self._loop
        if "SendMessage" in target and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while True:
            self.wake.clear()
            messages = await asyncio.to_thread(self._receive)
            if messages:
                await self._deliver(messages)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), IDLE_WAIT_SECONDS)

    def _receive(self) -> list[dict[str, Any]]:
        collected: list[dict[str, Any]] = []
        while len(collected) < self.source.batch_size:
            wanted = min(10, self.source.batch_size - len(collected))
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=wanted,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            received = response.get("Messages") or []
            collected.extend(received)
            if len(received) < wanted:
                break
        return collected

    async def _deliver(self, messages: list[dict[str, Any]]) -> None:
        batch = [records.sqs_record(m, self.queue_arn, self.region) for m in messages]
        try:
            result = await self.invoker.invoke(self.source.function, {"Records": batch})
        except HandlerError:
            log.warning(
                "%s failed a batch of %d; it will be redelivered",
                self.source.function,
                len(batch),
            )
            return
        failed = set()
        if self.source.report_failures and isinstance(result, dict):
            failed = {str(i.get("itemIdentifier")) for i in result.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        await asyncio.to_thread(self._delete, done)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(messages[start : start + 10])
            ]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
