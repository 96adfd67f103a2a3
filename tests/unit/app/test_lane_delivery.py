"""Slow connections never delay others (F35): a slow post falls out of its lane, keeps its order.

Order is asserted, never timing: the slow connection's post blocks on an event the test holds,
and the test moves on when the lane releases its SQS message (another event).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from opensock.app import fanout as fanout_module
from opensock.app.fanout import Fanout
from opensock.app.lane_delivery import LaneDelivery
from opensock.domain.fanout_jobs import FanoutBatch, FanoutJob
from opensock.domain.lanes import OWN_LANE, LaneState
from tests.support.fakes import FakeConnections, FrozenClock
from tests.support.fifo import FifoGroups
from tests.unit.app.fakes import MemoryLanes, MemorySubscribers, RecordingQueue, subscription

GRACE = 0.05
WAIT = 30.0
"""A bound on waiting for an event that must come (a hung test fails instead of hanging)."""


class HeldGateway(FakeConnections):
    """Posts to SLOW block until `unblock` is set; `posted` is set once every other id in
    `others` has been posted to."""

    def __init__(self, others: set[str]) -> None:
        super().__init__()
        self.unblock = threading.Event()
        self.posted = threading.Event()
        self._others = others

    def post(self, connection_id: str, frame: Any) -> None:
        if connection_id == "SLOW":
            assert self.unblock.wait(WAIT)
        super().post(connection_id, frame)
        if self._others <= set(self.frames):
            self.posted.set()


def got(gateway: FakeConnections, cid: str) -> list[int]:
    return [frame["data"] for frame in gateway.frames.get(cid, [])]


def message(number: int) -> FanoutJob:
    return FanoutJob("c", {"event": "m", "channel": "c", "data": number})


class WatchedQueue(FifoGroups):
    """Records what the lane state held when the lane released its message."""

    def __init__(self, lanes: MemoryLanes) -> None:
        super().__init__()
        self.lanes = lanes
        self.state_at_release: LaneState | None = None

    def release(self, receipt_handle: str) -> None:
        self.state_at_release = self.lanes.get("c", 3)
        super().release(receipt_handle)


def test_a_slow_connection_falls_out_of_its_lane_and_keeps_its_order() -> None:
    # GIVEN a queued lane (3) of A, B, C and SLOW, whose posts block until the test allows
    subs = MemorySubscribers(
        {"c": [subscription("c", cid, lane=3) for cid in ["A", "B", "C", "SLOW"]]}
    )
    gateway, lanes = HeldGateway({"A", "B", "C"}), MemoryLanes()
    queue = WatchedQueue(lanes)
    fanout = Fanout(gateway, subs, queue, slow_grace=GRACE)  # type: ignore[arg-type]
    delivery = LaneDelivery(fanout, lanes, queue, FrozenClock())
    fanout.deliver(message(1))
    fanout.deliver(message(2))
    [lane_group] = queue.ready()
    # WHEN FanoutFunction takes message 1 (it waits for SLOW's post in its own thread)
    first = threading.Thread(target=queue.run_one, args=(delivery.deliver_records,))
    first.start()
    # THEN it releases the lane's message once the others are posted, SLOW written down first
    assert queue.released.wait(WAIT)
    assert queue.state_at_release is not None
    assert queue.state_at_release.diverted == {"SLOW"} and "SLOW" in queue.state_at_release.busy
    # WHEN the lane's next message runs while SLOW's first post is still blocked
    assert queue.run_one(delivery.deliver_records, group=lane_group)
    # THEN the others got message 2 already; SLOW's copy went to its own group, not posted
    assert [got(gateway, cid) for cid in "ABC"] == [[1, 2]] * 3 and got(gateway, "SLOW") == []
    [own_group] = queue.ready()
    # WHEN its own copy runs while the first post is still in flight
    assert queue.run_one(delivery.deliver_records, group=own_group)
    # THEN it is handed back to SQS (only SLOW's group waits), unposted
    assert got(gateway, "SLOW") == [] and len(queue.retries) == 1 and queue.pending == 1
    # WHEN the first post ends, and the copy runs again
    gateway.unblock.set()
    first.join(WAIT)
    assert queue.run_one(delivery.deliver_records, group=own_group)
    # THEN SLOW got both, in publish order; the lane state says it is diverted, not busy, with
    # its one forwarded copy finished
    assert got(gateway, "SLOW") == [1, 2] and queue.pending == 0
    assert lanes.get("c", 3) == LaneState(frozenset({"SLOW"}), {}, {"SLOW": 1}, {"SLOW": 1})
    # AND a third message posts it in the lane again (nothing of it is pending anywhere)
    fanout.deliver(message(3))
    queue.run_all(delivery.deliver_records)
    assert [got(gateway, cid) for cid in ["A", "B", "C", "SLOW"]] == [[1, 2, 3]] * 4
    assert lanes.get("c", 3) == LaneState() and ("restore", ("SLOW",)) in lanes.calls
    assert queue.ready() == []  # no copy went to SLOW's own group for message 3


def test_a_diverted_connection_returns_only_after_its_own_copies() -> None:
    # GIVEN SLOW diverted from lane 3 by message 1, with message 2's copy forwarded to its own
    # group and not yet run, while its first post has ended (not busy any more)
    subs = MemorySubscribers({"c": [subscription("c", cid, lane=3) for cid in ["A", "SLOW"]]})
    gateway, lanes = HeldGateway({"A"}), MemoryLanes()
    queue = WatchedQueue(lanes)
    fanout = Fanout(gateway, subs, queue, slow_grace=GRACE)  # type: ignore[arg-type]
    delivery = LaneDelivery(fanout, lanes, queue, FrozenClock())
    for number in (1, 2):
        fanout.deliver(message(number))
    [lane_group] = queue.ready()
    first = threading.Thread(target=queue.run_one, args=(delivery.deliver_records,))
    first.start()
    assert queue.released.wait(WAIT)
    assert queue.run_one(delivery.deliver_records, group=lane_group)  # message 2: forwarded
    gateway.unblock.set()
    first.join(WAIT)
    assert got(gateway, "SLOW") == [1] and not lanes.get("c", 3).is_busy("SLOW", 0.0)
    # WHEN message 3 reaches the lane before the own group has run message 2's copy
    fanout.deliver(message(3))
    assert queue.run_one(delivery.deliver_records, group=lane_group)
    # THEN SLOW is not posted in the lane (its copy of 2 would come after 3): 3 is forwarded too
    assert got(gateway, "SLOW") == [1] and got(gateway, "A") == [1, 2, 3]
    assert lanes.get("c", 3).forwarded == {"SLOW": 2}
    # WHEN its own group runs; THEN SLOW has 1, 2, 3 in order, and message 4 finds it back
    queue.run_all(delivery.deliver_records)
    assert got(gateway, "SLOW") == [1, 2, 3]
    fanout.deliver(message(4))
    queue.run_all(delivery.deliver_records)
    assert got(gateway, "SLOW") == [1, 2, 3, 4] and lanes.get("c", 3) == LaneState()


def test_a_failed_release_leaves_the_lane_waiting_as_before() -> None:
    # GIVEN a lane whose early release fails (an expired or invalid receipt handle)
    subs = MemorySubscribers({"c": [subscription("c", cid, lane=3) for cid in ["A", "SLOW"]]})
    gateway, lanes = HeldGateway({"A"}), MemoryLanes()

    class FailingRelease(WatchedQueue):
        def release(self, receipt_handle: str) -> None:
            gateway.unblock.set()  # SLOW's post ends once the lane has tried to let go
            raise RuntimeError("ReceiptHandleIsInvalid")

    queue = FailingRelease(lanes)
    fanout = Fanout(gateway, subs, queue, slow_grace=GRACE)  # type: ignore[arg-type]
    delivery = LaneDelivery(fanout, lanes, queue, FrozenClock())
    fanout.deliver(message(1))
    # WHEN the lane's message runs (SLOW's post outlasts the others by the grace)
    queue.run_all(delivery.deliver_records)
    # THEN the invocation did not fail: everyone got the message, SLOW is diverted, not busy
    assert got(gateway, "A") == [1] and got(gateway, "SLOW") == [1]
    state = lanes.get("c", 3)
    assert state.diverted == {"SLOW"} and state.busy == {}


def test_past_the_cap_a_slow_connection_holds_its_lane_as_before() -> None:
    # GIVEN a lane whose state is already full of diverted connections
    subs = MemorySubscribers({"c": [subscription("c", cid, lane=3) for cid in ["A", "SLOW"]]})
    gateway, lanes, queue = HeldGateway({"A"}), MemoryLanes(), RecordingQueue()
    full = frozenset(f"X{n}" for n in range(50))
    lanes.states["c", 3] = LaneState(full)
    fanout = Fanout(gateway, subs, queue, slow_grace=GRACE)  # type: ignore[arg-type]
    delivery = LaneDelivery(fanout, lanes, queue, FrozenClock())
    batch = FanoutBatch("c", {"event": "m", "channel": "c", "data": 1}, ("A", "SLOW"), 3)
    body = {"body": __import__("json").dumps(batch.to_json()), "receiptHandle": "r1"}
    # WHEN the lane's message runs and SLOW ends only after the straggler check answered
    real = fanout_module.stragglers

    def answered(*args: Any) -> list[int]:
        slow = real(*args)
        gateway.unblock.set()
        return slow

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fanout_module, "stragglers", answered)
        result = delivery.deliver_records({"Records": [body]})
    # THEN nothing is diverted or released: the lane waited for SLOW, everyone got it
    assert queue.released == [] and lanes.calls == [] and result["posted"] == 2


def test_a_slow_connection_leaves_the_inline_lane_after_holding_one_publish() -> None:
    # GIVEN a small channel (inline lane) of A, B and SLOW
    subs = MemorySubscribers({"c": [subscription("c", cid, lane=0) for cid in ["A", "B", "SLOW"]]})
    gateway, queue = HeldGateway({"A", "B"}), RecordingQueue()
    fanout = Fanout(gateway, subs, queue, slow_grace=GRACE, inline_slow_grace=GRACE)  # type: ignore[arg-type]
    real = fanout_module.stragglers

    def answered(*args: Any) -> list[int]:
        slow = real(*args)
        gateway.unblock.set()  # SLOW's post ends once it was seen slow
        return slow

    # WHEN a publish waits for SLOW's post (the function must), after the grace
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fanout_module, "stragglers", answered)
        report = fanout.deliver(message(1))
    # THEN everyone got it, and SLOW's subscription moved to its own FIFO group
    assert report.slow == ["SLOW"] and report.posted == 3
    assert {sub.connection_id: sub.lane for sub in subs.subscribers["c"]}["SLOW"] == OWN_LANE
    # WHEN the next message is published
    fanout.deliver(message(2))
    # THEN A and B got it inline, SLOW's copy is queued in its own group
    assert got(gateway, "A") == [1, 2] and got(gateway, "SLOW") == [1]
    assert [(b.connection_ids, b.own) for b in queue.batches] == [(("SLOW",), True)]


def test_a_single_slow_recipient_holds_nobody_and_stays_inline() -> None:
    # GIVEN a 1:1 channel whose only subscriber is slow
    subs = MemorySubscribers({"c": [subscription("c", "SLOW", lane=0)]})
    gateway, queue = HeldGateway(set()), RecordingQueue()
    gateway.unblock.set()
    fanout = Fanout(gateway, subs, queue, slow_grace=GRACE)  # type: ignore[arg-type]
    # WHEN published to
    fanout.deliver(message(1))
    # THEN it stays in the inline lane (no lane-mate to delay; no SQS cost for 1:1)
    assert subs.subscribers["c"][0].lane == 0 and queue.batches == []


def test_the_inline_lane_moves_only_a_post_slower_than_jitter() -> None:
    # GIVEN the lanes' short grace, and the inline lane's default
    subs = MemorySubscribers({"c": [subscription("c", cid, lane=0) for cid in ["A", "B", "C"]]})
    fanout = Fanout(FakeConnections(), subs, RecordingQueue(), slow_grace=GRACE)  # type: ignore[arg-type]
    graces: list[float] = []
    real = fanout_module.stragglers

    def recorded(futures: Any, grace: float) -> list[int]:
        graces.append(grace)
        return real(futures, grace)

    # WHEN a small channel's publish posts inline
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fanout_module, "stragglers", recorded)
        fanout.deliver(message(1))
    # THEN a post counts as slow there only a second after the others ended, not 50 ms
    assert graces == [fanout_module.INLINE_SLOW_SECONDS] and graces[0] >= 1.0 > GRACE
