"""Fan-out: deliver one frame to a channel's subscribers (PROTOCOL §18).

Read the recipients once, post concurrently, hand gone connections to a pruner.

Posts run on a thread pool as wide as a batch (capped at `MAX_POST_WORKERS`), so a batch is
one round of posts: they wait on the network, and the function is billed while it waits. One
failed post never stops the others. Each subscription carries the lane it was given at
subscribe (`domain/lanes.py`): the inline lane (0) is posted here, every other lane is
shuffled and sent to the queue, one FIFO group per lane, so a connection keeps its path and
its order from one message to the next whatever the channel's size; FanoutFunction posts each
lane (`app/lane_delivery.py`). Lanes from `DIRECT_LANES` on (those of channels above ≈ 2,000
subscriptions) are left to FanoutFunction: the publishing function queues a plan (the job
itself) and FanoutFunction reads those lanes and queues them (`queue_lanes`). Every lane thus
has exactly one path, whatever the channel's size.
"""

from __future__ import annotations

import contextvars
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from opensock.app.stragglers import stragglers
from opensock.domain.auth.permissions import Permissions
from opensock.domain.fanout_jobs import Audience, FanoutBatch, FanoutJob
from opensock.domain.frames import Frame
from opensock.domain.lanes import INLINE_LANE, OWN_LANE, Recipient, by_lane
from opensock.errors import ConnectionGoneError
from opensock.jsoncodec import dumps
from opensock.observability import count, logger
from opensock.ports import ConnectionGateway, FanoutQueue, SubscriptionRepository

GoneHandler = Callable[[list[str]], int]
SlowHandler = Callable[[list[str]], object]
Alongside = Callable[[], object]
"""Work that runs while the posts are in flight (a stored message's write): it adds no wait."""
MAX_POST_WORKERS = 250
DIRECT_LANES = 13
INLINE_SLOW_SECONDS = 1.0
"""How long a post in the inline lane must outlast the others before its subscription leaves
that lane for good: the publish waits for it anyway, and a move makes each later message to it
an SQS message and an invocation, so network jitter (tens of ms) must not move anyone. A
queued lane's grace (`slow_grace`) stays short: its diversion is undone by itself once the
connection's own group has drained (`app/lane_delivery.py`)."""
"""Lanes 0 to 12 are read and queued by the publishing function, the ones a channel of up to
≈ 2,000 subscriptions draws from (`domain/lanes.py`); higher lanes by FanoutFunction (one vCPU)
from a plan: at 512 MB, reading and parsing 100,000 ids takes ≈ 4 s. The publish still reads
every page (DynamoDB filters the higher lanes out, so they are billed but not parsed)."""
"""Post threads per invocation; the management client's connection pool is as large
(`gateway/connections.py`), so no thread waits for a connection."""


@dataclass
class FanoutReport:
    recipients: int = 0
    posted: int = 0
    failed: int = 0
    batches: int = 0
    pruned: int = 0
    gone: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)
    """Posts that outlasted the others by the grace (`Fanout.post_all`)."""


class Fanout:
    def __init__(
        self,
        gateway: ConnectionGateway,
        subscriptions: SubscriptionRepository,
        queue: FanoutQueue | None = None,
        *,
        batch_size: int = 250,
        workers: int = MAX_POST_WORKERS,
        on_gone: GoneHandler | None = None,
        direct_lanes: int = DIRECT_LANES,
        slow_grace: float | None = None,
        inline_slow_grace: float | None = None,
    ) -> None:
        self.gateway = gateway
        self._subscriptions = subscriptions
        self._queue = queue
        self._batch_size = batch_size
        self._workers = max(1, min(workers, batch_size))
        self.on_gone = on_gone
        self._direct_lanes = direct_lanes
        self._grace = slow_grace
        if inline_slow_grace is None and slow_grace is not None:
            inline_slow_grace = max(slow_grace, INLINE_SLOW_SECONDS)
        self._inline_grace = inline_slow_grace
        self._pool: ThreadPoolExecutor | None = None

    def deliver(self, job: FanoutJob, alongside: Alongside | None = None) -> FanoutReport:
        """Post `job.frame` to its recipients; `alongside` runs while the posts are in flight
        (before anything is queued, when something is). Its error is raised after the posts
        have finished and gone connections were pruned.

        Each subscription's lane, fixed at subscribe (`domain/lanes.py`), decides its path:
        lane 0 is posted here, lanes up to `direct_lanes` are queued from here, higher lanes by
        FanoutFunction from a plan (`queue_lanes`)."""
        recipients, planned = self._read(job)
        lanes = by_lane(recipients, self._batch_size)
        if self._queue is None:
            ids = [cid for lane in lanes.values() for cid in lane]
        else:
            ids = lanes.pop(INLINE_LANE, [])
        batches = self._batches(job, lanes)
        if (batches or planned) and self._queue is not None:
            if alongside is not None:
                alongside()
                alongside = None
            if planned:
                self._queue.plan(job)
            if batches:
                self._queue.send(batches)
        report = self._post_inline(job.frame, ids, alongside)
        if self._queue is not None:
            self._divert_inline(job.channel, report)
        report.recipients, report.batches = len(recipients), len(batches) + int(planned)
        return report

    def _read(self, job: FanoutJob) -> tuple[list[Recipient], bool]:
        """The recipients of the lanes posted or queued from here, and whether higher lanes
        have recipients (a plan for FanoutFunction)."""
        if self._queue is None:
            return self.recipients(job), False
        if job.audience.kind == "all":
            found, planned = self._subscriptions.direct_recipients(
                job.channel, self._direct_lanes, job.stored_id
            )
        else:
            everyone = self.recipients(job)
            found = [r for r in everyone if not self._planned(r)]
            planned = len(found) < len(everyone)
        return [r for r in found if r.connection_id != job.exclude_connection_id], planned

    def _planned(self, recipient: Recipient) -> bool:
        return recipient.lane is not None and recipient.lane >= self._direct_lanes

    def _post_inline(
        self, frame: Frame, ids: Sequence[str], alongside: Alongside | None
    ) -> FanoutReport:
        if alongside is not None:
            return self._post_alongside(frame, ids, alongside)
        report = self.post_all(frame, ids, inline=True)
        self.prune(report)
        # The SQS worker counts its own lanes (deliver_records).
        if report.posted:
            count("FanoutDelivered", report.posted)
        if report.failed:
            count("FanoutFailed", report.failed)
        return report

    def _divert_inline(self, channel: str, report: FanoutReport) -> None:
        """A slow post held this publish (it has ended now: a Lambda cannot return with posts
        in flight): its subscription leaves the inline lane for its connection's own FIFO
        group, so it holds no later publish."""
        gone = set(report.gone)
        slow = [cid for cid in report.slow if cid not in gone]
        for cid in slow:
            self._subscriptions.move_to_lane(channel, cid, OWN_LANE)
        if slow:
            logger.info("slow connections leave the inline lane", extra={"count": len(slow)})
            count("FanoutDiverted", len(slow))

    def _post_alongside(
        self, frame: Frame, ids: Sequence[str], alongside: Alongside
    ) -> FanoutReport:
        """`alongside` on the pool while this thread posts (a single post stays inline, so
        nothing waits for a thread to wake); AWS is never called from two threads at once:
        the posts go to the management API, the prune runs after `alongside` is done."""
        pending = self._executor().submit(alongside)
        report = self.post_all(frame, ids, inline=True)
        try:
            pending.result()
        finally:
            self.prune(report)
            if report.failed:
                count("FanoutFailed", report.failed)
        return report

    def queue_lanes(self, job: FanoutJob) -> None:
        """FanoutFunction, for a plan: read the recipients of lanes from `direct_lanes` on
        (the publishing function read the others), queue their lanes."""
        if self._queue is None:
            raise RuntimeError("a fan-out plan needs the FanoutQueue")
        if job.audience.kind == "all":
            found = self._subscriptions.recipients(
                job.channel, job.stored_id, from_lane=self._direct_lanes
            )
        else:
            found = [r for r in self.recipients(job) if self._planned(r)]
        found = [r for r in found if r.connection_id != job.exclude_connection_id]
        self._queue.send(self._batches(job, by_lane(found, self._batch_size)))

    def deliver_to_observers(self, channel: str, key: str, frame: Frame) -> int:
        """Subscribers whose permissions `observe` the key (the storage `ObserverDelivery`)."""
        job = FanoutJob(channel, frame, audience=Audience.observers(key))
        return self.deliver(job).recipients

    def recipients(self, job: FanoutJob) -> list[Recipient]:
        if job.audience.kind == "observers":
            key = job.audience.key or ""
            found = [
                Recipient(sub.connection_id, sub.lane)
                for sub in self._subscriptions.list_subscribers(job.channel)
                if Permissions.from_entries(sub.connect_grants, sub.token_grants).storage_flag(
                    job.channel, key, "observe"
                )
            ]
        else:
            found = self._subscriptions.recipients(job.channel, job.stored_id)
        return [r for r in found if r.connection_id != job.exclude_connection_id]

    def _batches(self, job: FanoutJob, lanes: dict[int, list[str]]) -> list[FanoutBatch]:
        """One queued message per lane, shuffled within (v1.10.0: no connection is
        systematically first). Lanes hover around the batch size (a few over it: one more round
        of posts in the same invocation); one past twice the batch size is cut into several
        messages of its group, so still in order."""
        batches = [
            FanoutBatch(job.channel, job.frame, (cid,), OWN_LANE, own=True)
            for cid in lanes.pop(OWN_LANE, [])
        ]
        for number in sorted(lanes):
            ids = lanes[number]
            random.shuffle(ids)
            for at in range(0, len(ids), 2 * self._batch_size):
                chunk = tuple(ids[at : at + 2 * self._batch_size])
                batches.append(FanoutBatch(job.channel, job.frame, chunk, number))
        return batches

    def post_all(
        self,
        frame: Frame,
        ids: Sequence[str],
        on_slow: SlowHandler | None = None,
        *,
        inline: bool = False,
    ) -> FanoutReport:
        """Post to every id and wait for every post. With a grace (`slow_grace`; for the
        `inline` lane `inline_slow_grace`), posts still running once that long passed with
        none of the others ending are the slow ones (`report.slow`); `on_slow` gets them while
        they still run."""
        data = dumps(frame).encode("utf-8")
        if len(ids) <= 1:
            return self._report(ids, [self._post(cid, data) for cid in ids])
        # Each post runs in a copy of this invocation's context: its trace span (and any
        # context a caller set) reaches the post threads.
        pool = self._executor()
        futures = [
            pool.submit(contextvars.copy_context().run, self._post, cid, data) for cid in ids
        ]
        slow: list[str] = []
        grace = self._inline_grace if inline else self._grace
        if grace is not None:
            slow = [ids[at] for at in stragglers(futures, grace)]
            if slow and on_slow is not None:
                on_slow(slow)
        report = self._report(ids, [future.result() for future in futures])
        report.slow = slow
        return report

    @staticmethod
    def _report(ids: Sequence[str], outcomes: Sequence[str]) -> FanoutReport:
        report = FanoutReport(recipients=len(ids))
        for cid, outcome in zip(ids, outcomes, strict=True):
            if outcome == "posted":
                report.posted += 1
            elif outcome == "gone":
                report.gone.append(cid)
            else:
                report.failed += 1
        return report

    def _post(self, connection_id: str, data: bytes) -> str:
        try:
            self.gateway.post(connection_id, data)
        except ConnectionGoneError:
            return "gone"
        except Exception:
            logger.exception("fanout post failed")
            return "failed"
        return "posted"

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="fanout")
        return self._pool

    def close(self) -> None:
        """End the post pool's threads (a container going away: the bench's many Apps)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def prune_with(self, on_gone: GoneHandler) -> None:
        """Set the pruner of gone connections (wiring: it needs this Fanout itself)."""
        self.on_gone = on_gone

    def prune(self, report: FanoutReport) -> None:
        if report.gone and self.on_gone is not None:
            report.pruned = self.on_gone(list(report.gone))
