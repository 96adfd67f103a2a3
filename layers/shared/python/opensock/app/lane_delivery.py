"""FanoutFunction's records (PROTOCOL §18, F35): a queued lane, a plan, a connection's own copy.

A lane's message reads its lane's state (one consistent GetItem for up to 250 posts), forwards
the copies of connections that fell out of the lane to their own FIFO groups, and posts the
rest. A connection that fell out comes back to its lane (posted there again) once nothing is in
flight to it and its own group has finished every copy forwarded to it (`LaneState.may_return`,
a conditional write), so a post that was slow once costs its own group nothing more. When every
post but a few has ended and the grace has passed (`Fanout.post_all`), the slow ones are written
down as diverted and busy BEFORE the message is released (deleted from the queue): the lane's
next message may then start at once, and forwards their copies. The invocation still waits for
the slow posts (a Lambda cannot return with posts in flight), then marks them settled. A
connection's own copy is posted once no earlier post to it is in flight; else it is handed back
to SQS for when that post has ended at the latest (only its own group waits). Past
`MAX_DIVERTED` per lane a slow connection holds its lane as before (counted). FanoutFunction
takes one record per invocation (`BatchSize: 1`), so a copy handed back holds no other record,
and a release frees exactly its own message.
"""

from __future__ import annotations

import math
from typing import Any

from opensock.app.fanout import Fanout, FanoutReport
from opensock.clock import Clock
from opensock.domain.fanout_jobs import FanoutBatch, FanoutJob
from opensock.domain.lanes import LaneState
from opensock.jsoncodec import loads
from opensock.observability import count, logger
from opensock.ports import FanoutQueue, LaneStates

POST_BOUND_SECONDS = 30.0
"""By when a post has ended whatever happens: the poster's 3 attempts of a 5 s read timeout
and their backoff (`adapters/apigw.py`), with room to spare."""


class LaneDelivery:
    def __init__(
        self, fanout: Fanout, states: LaneStates, queue: FanoutQueue | None, clock: Clock
    ) -> None:
        self._fanout = fanout
        self._states = states
        self._queue_or_none = queue
        self._clock = clock

    @property
    def _queue(self) -> FanoutQueue:
        if self._queue_or_none is None:
            raise RuntimeError("FanoutFunction's records come from the FanoutQueue")
        return self._queue_or_none

    def deliver_records(self, event: dict[str, Any]) -> dict[str, Any]:
        """Every record of an SQS batch (records of one FIFO group arrive in order)."""
        total, deferred = FanoutReport(), []
        for record in event.get("Records", []):
            body = loads(record["body"])
            if "plan" in body:
                self._fanout.queue_lanes(FanoutJob.from_json(body["plan"]))
                continue
            batch = FanoutBatch.from_json(body)
            handle = str(record.get("receiptHandle", ""))
            if batch.own:
                report = self._own(batch, handle)
                if report is None:
                    deferred.append({"itemIdentifier": record.get("messageId")})
                    continue
            else:
                report = self._lane(batch, handle)
            _add(total, report)
        count("FanoutDelivered", total.posted)
        if total.failed:
            count("FanoutFailed", total.failed)
        result: dict[str, Any] = {
            "posted": total.posted,
            "gone": len(total.gone),
            "failed": total.failed,
        }
        if deferred:
            result["batchItemFailures"] = deferred
        return result

    def _lane(self, batch: FanoutBatch, receipt_handle: str) -> FanoutReport:
        state = self._states.get(batch.channel, batch.lane)
        returning = self._restore(batch, state)
        away = state.diverted - returning
        forward = [cid for cid in batch.connection_ids if cid in away]
        if forward:
            self._states.forward(batch.channel, batch.lane, forward)  # counted before sent
            self._queue.send(
                [
                    FanoutBatch(batch.channel, batch.frame, (c,), batch.lane, own=True)
                    for c in forward
                ]
            )
            count("FanoutForwarded", len(forward))
        ids = [cid for cid in batch.connection_ids if cid not in away]
        diverted: list[str] = []
        room = max(0, state.room() + len(returning))

        def on_slow(slow: list[str]) -> None:
            if len(slow) > room:
                logger.warning("lane full of diverted connections", extra={"slow": len(slow)})
                count("FanoutDivertFull", len(slow))
                return
            until = self._clock() + POST_BOUND_SECONDS
            self._states.divert(batch.channel, batch.lane, slow, until)
            diverted.extend(slow)
            count("FanoutDiverted", len(slow))
            try:
                self._queue.release(receipt_handle)
            except Exception:
                # The lane then waits for its slow posts as before the release existed; the
                # diverted ones stay diverted (their next copies go to their own groups).
                logger.exception("fanout lane release failed")
                count("FanoutReleaseFailed")

        report = self._fanout.post_all(batch.frame, ids, on_slow)
        if diverted:
            self._states.settle(batch.channel, batch.lane, diverted)
        self._fanout.prune(report)
        return report

    def _restore(self, batch: FanoutBatch, state: LaneState) -> frozenset[str]:
        """The diverted connections of this batch that come back to the lane now."""
        now = self._clock()
        ready = {
            c: state.forwarded.get(c, 0) for c in batch.connection_ids if state.may_return(c, now)
        }
        if not ready or not self._states.restore(batch.channel, batch.lane, ready):
            return frozenset()
        count("FanoutReturned", len(ready))
        return frozenset(ready)

    def _own(self, batch: FanoutBatch, receipt_handle: str) -> FanoutReport | None:
        """One connection's copy; None when an earlier post to it is still in flight (SQS
        gives it back when that post has ended at the latest)."""
        [cid] = batch.connection_ids
        if batch.lane >= 0:
            state = self._states.get(batch.channel, batch.lane)
            now = self._clock()
            if state.is_busy(cid, now):
                wait = math.ceil(min(state.busy[cid] - now, POST_BOUND_SECONDS))
                self._queue.retry_later(receipt_handle, max(1, wait))
                count("FanoutOwnDeferred")
                return None
        report = self._fanout.post_all(batch.frame, batch.connection_ids)
        if batch.lane >= 0:
            self._states.finish(batch.channel, batch.lane, cid)
        self._fanout.prune(report)
        return report


def _add(total: FanoutReport, report: FanoutReport) -> None:
    total.recipients += report.recipients
    total.posted += report.posted
    total.failed += report.failed
    total.pruned += report.pruned
    total.gone.extend(report.gone)
    total.batches += 1
