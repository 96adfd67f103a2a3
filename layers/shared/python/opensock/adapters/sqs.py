"""FanoutQueue adapter: large fan-outs as SQS FIFO messages, one per lane.

`MessageGroupId` = hash(channel) + lane, so each lane (and every connection in it) keeps publish
order while lanes run in parallel. Entries are sent ten at a time, and a request is also cut
before it would pass SQS's 256 KiB limit. Each message carries the sender's trace context
(`traceparent` message attribute), so FanoutFunction's spans join the publisher's trace. A
large channel's whole fan-out (`plan`) is one message in the channel's `-plan` group, so
FanoutFunction queues the lanes of its plans in publish order. `release` deletes a lane's
message while its invocation still waits for a slow post (`app/lane_delivery.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ulid import ULID

from opensock.domain.fanout_jobs import FanoutBatch, FanoutJob
from opensock.jsoncodec import dumps
from opensock.tracing import TRACEPARENT, traceparent

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 250_000


def group_id(batch: FanoutBatch) -> str:
    """FIFO group of a lane: SQS allows only ASCII punctuation/alphanumerics, so hash the name.
    A connection's own copies (`own`) share one group per connection, whatever the channel."""
    if batch.own:
        return f"own-{hashlib.sha256(batch.connection_ids[0].encode()).hexdigest()[:40]}"
    digest = hashlib.sha256(batch.channel.encode("utf-8")).hexdigest()[:40]
    return f"{digest}-{batch.lane}"


def plan_group_id(channel: str) -> str:
    return f"{hashlib.sha256(channel.encode('utf-8')).hexdigest()[:40]}-plan"


def _chunks(bodies: list[tuple[FanoutBatch, str]]) -> list[list[tuple[FanoutBatch, str]]]:
    chunks: list[list[tuple[FanoutBatch, str]]] = []
    size = 0
    for entry in bodies:
        length = len(entry[1].encode("utf-8"))
        if not chunks or len(chunks[-1]) == MAX_ENTRIES or size + length > MAX_REQUEST_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += length
    return chunks


class SqsQueue:
    """One queue and a lazily created SQS client (shared by every SQS adapter)."""

    def __init__(self, queue_url: str, client: Any = None) -> None:
        self._queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client


class SqsFanoutQueue(SqsQueue):
    def send(self, batches: Sequence[FanoutBatch]) -> None:
        bodies = [(batch, dumps(batch.to_json())) for batch in batches]
        trace = traceparent()
        attributes = {TRACEPARENT: {"DataType": "String", "StringValue": trace}} if trace else {}
        for chunk in _chunks(bodies):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": body,
                    "MessageGroupId": group_id(batch),
                    "MessageDeduplicationId": str(ULID()),
                    **({"MessageAttributes": attributes} if attributes else {}),
                }
                for i, (batch, body) in enumerate(chunk)
            ]
            response = self.client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"fanout enqueue failed for {len(response['Failed'])} lanes")

    def release(self, receipt_handle: str) -> None:
        """Delete a received lane message before its invocation ends: the next message of its
        FIFO group may start (Lambda's own delete at the end then finds it gone, harmlessly)."""
        self.client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=receipt_handle)

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """The message comes back in `seconds` (not the queue's visibility timeout)."""
        self.client.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )

    def plan(self, job: FanoutJob) -> None:
        trace = traceparent()
        attributes = {TRACEPARENT: {"DataType": "String", "StringValue": trace}} if trace else {}
        self.client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=dumps({"plan": job.to_json()}),
            MessageGroupId=plan_group_id(job.channel),
            MessageDeduplicationId=str(ULID()),
            **({"MessageAttributes": attributes} if attributes else {}),
        )
