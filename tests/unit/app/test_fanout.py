"""Fan-out: inline posts for small channels, lanes to the queue for large ones, gone pruning."""

from __future__ import annotations

import json

from opensock.app.fanout import Fanout
from opensock.app.lane_delivery import LaneDelivery
from opensock.domain.fanout_jobs import Audience, FanoutJob
from tests.support.fakes import FakeConnections, FrozenClock
from tests.unit.app.fakes import MemoryLanes, MemorySubscribers, RecordingQueue, subscription

FRAME = {"event": "e", "channel": "c", "data": 1}


def rig(count: int, batch_size: int = 250) -> tuple[Fanout, FakeConnections, RecordingQueue]:
    subs = MemorySubscribers({"c": [subscription("c", f"C{n}") for n in range(count)]})
    gateway, queue = FakeConnections(), RecordingQueue()
    return Fanout(gateway, subs, queue, batch_size=batch_size), gateway, queue  # type: ignore[arg-type]


def test_small_channel_is_posted_inline_except_to_the_excluded_sender() -> None:
    fanout, gateway, queue = rig(3)
    report = fanout.deliver(FanoutJob("c", FRAME, exclude_connection_id="C0"))
    assert (report.recipients, report.posted, report.batches) == (2, 2, 0)
    assert sorted(gateway.frames) == ["C1", "C2"] and queue.batches == []


def test_lanes_without_a_stored_lane_cover_everyone_once_and_lane_0_is_inline() -> None:
    # GIVEN 7 subscriptions written before lanes were stored, lanes of 3
    fanout, gateway, queue = rig(7, batch_size=3)
    # WHEN published to
    report = fanout.deliver(FanoutJob("c", FRAME))
    # THEN the old rule (crc32 % 3 lanes) places them; lane 0 is posted here, the rest queued
    inline = sorted(gateway.frames)
    queued = [cid for batch in queue.batches for cid in batch.connection_ids]
    assert sorted(inline + queued) == sorted(f"C{n}" for n in range(7))
    assert report.batches == len(queue.batches) == 2 and {b.lane for b in queue.batches} == {1, 2}


def test_stored_lanes_decide_the_path_whatever_the_channel_size() -> None:
    # GIVEN a small channel whose subscriptions were given lanes 0 and 4 at subscribe
    subs = [subscription("c", "A", lane=0), subscription("c", "B", lane=4)]
    gateway, queue = FakeConnections(), RecordingQueue()
    fanout = Fanout(gateway, MemorySubscribers({"c": subs}), queue)  # type: ignore[arg-type]
    # WHEN published to (2 recipients: far below the lane size)
    report = fanout.deliver(FanoutJob("c", FRAME))
    # THEN lane 0 is posted inline and lane 4 still goes to its own FIFO group
    assert list(gateway.frames) == ["A"] and report.batches == 1
    assert [(b.lane, b.connection_ids) for b in queue.batches] == [(4, ("B",))]


def test_a_lane_past_twice_the_batch_size_stays_in_its_group() -> None:
    # GIVEN 5 subscriptions in lane 2 and 3 in lane 4, batches of 2
    subs = [subscription("c", f"C{n}", lane=2) for n in range(5)]
    subs += [subscription("c", f"D{n}", lane=4) for n in range(3)]
    gateway, queue = FakeConnections(), RecordingQueue()
    fanout = Fanout(gateway, MemorySubscribers({"c": subs}), queue, batch_size=2)  # type: ignore[arg-type]
    # WHEN published to
    fanout.deliver(FanoutJob("c", FRAME))
    # THEN lane 4 (a little over a batch) is one message; lane 2 is two messages of its FIFO
    # group (posted one after another), covering everyone once
    assert [(b.lane, len(b.connection_ids)) for b in queue.batches] == [(2, 4), (2, 1), (4, 3)]
    assert len({cid for b in queue.batches for cid in b.connection_ids}) == 8


def test_gone_connections_are_handed_to_the_pruner() -> None:
    fanout, gateway, _ = rig(3)
    gateway.gone.add("C1")
    pruned: list[list[str]] = []
    fanout.prune_with(lambda ids: pruned.append(ids) or len(ids))
    report = fanout.deliver(FanoutJob("c", FRAME))
    assert (report.posted, report.gone, report.pruned) == (2, ["C1"], 1)
    assert pruned == [["C1"]]


def test_observer_audience_reaches_only_subscribers_that_observe_the_key() -> None:
    observe = {"c": {"storage": {"k": {"observe": True}}}}
    subs = MemorySubscribers(
        {"c": [subscription("c", "A", connect=observe), subscription("c", "B")]}
    )
    gateway = FakeConnections()
    fanout = Fanout(gateway, subs, None)  # type: ignore[arg-type]
    assert fanout.deliver(FanoutJob("c", FRAME, audience=Audience.observers("k"))).posted == 1
    assert list(gateway.frames) == ["A"]


def test_lanes_above_the_direct_ones_are_read_and_queued_by_fanout_function() -> None:
    # GIVEN subscriptions in lanes 0, 1, 2 and 3, of which the publish handles lanes below 2
    lanes = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 3}
    subs = MemorySubscribers({"c": [subscription("c", cid, lane=n) for cid, n in lanes.items()]})
    gateway, queue = FakeConnections(), RecordingQueue()
    fanout = Fanout(gateway, subs, queue, direct_lanes=2)  # type: ignore[arg-type]
    written: list[str] = []
    # WHEN it is published to (with a stored message written alongside), E the sender
    job = FanoutJob("c", FRAME, exclude_connection_id="E")
    report = fanout.deliver(job, alongside=lambda: written.append("stored"))
    # THEN lane 0 is posted, lane 1 queued and a plan queued for the rest, after the write
    assert list(gateway.frames) == ["A"] and written == ["stored"] and report.batches == 2
    assert [(b.lane, b.connection_ids) for b in queue.batches] == [(1, ("B",))]
    assert queue.plans == [job]
    # WHEN FanoutFunction takes the plan record
    body = json.dumps({"plan": job.to_json()})
    queue.batches.clear()
    LaneDelivery(fanout, MemoryLanes(), queue, FrozenClock()).deliver_records(
        {"Records": [{"body": body}]}
    )
    # THEN it queues only the lanes from 2 on, without the sender
    assert [(b.lane, b.connection_ids) for b in queue.batches] == [(2, ("C",)), (3, ("D",))]


def test_a_small_channel_with_no_high_lane_queues_no_plan() -> None:
    fanout, gateway, queue = rig(3)
    fanout.deliver(FanoutJob("c", FRAME))
    assert queue.plans == [] and sorted(gateway.frames) == ["C0", "C1", "C2"]
