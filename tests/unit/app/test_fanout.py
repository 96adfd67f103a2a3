"""Fan-out: inline posts for small channels, lanes to the queue for large ones, gone pruning."""

from __future__ import annotations

import json

from opensock.app.fanout import Fanout
from opensock.domain.fanout_jobs import Audience, FanoutJob
from tests.support.fakes import FakeConnections
from tests.unit.app.fakes import MemorySubscribers, RecordingQueue, subscription

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


def test_large_channel_goes_to_the_queue_in_lanes_covering_everyone_once() -> None:
    fanout, gateway, queue = rig(7, batch_size=3)
    report = fanout.deliver(FanoutJob("c", FRAME))
    assert report.batches == 3 and gateway.frames == {}
    ids = [cid for batch in queue.batches for cid in batch.connection_ids]
    assert sorted(ids) == sorted(f"C{n}" for n in range(7))


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


def test_a_channel_above_the_plan_size_is_read_and_laned_by_fanout_function() -> None:
    # GIVEN a channel larger than the publishing function reads itself
    subs = MemorySubscribers({"c": [subscription("c", f"C{n}") for n in range(9)]})
    gateway, queue = FakeConnections(), RecordingQueue()
    fanout = Fanout(gateway, subs, queue, batch_size=3, plan_above=5)  # type: ignore[arg-type]
    written: list[str] = []
    # WHEN it is published to (with a stored message written alongside)
    job = FanoutJob("c", FRAME, exclude_connection_id="C0")
    report = fanout.deliver(job, alongside=lambda: written.append("stored"))
    # THEN only the plan is queued, after the write, and nothing is posted yet
    assert queue.plans == [job] and queue.batches == [] and gateway.frames == {}
    assert written == ["stored"] and report.batches == 1
    # WHEN FanoutFunction takes the plan record
    body = json.dumps({"plan": job.to_json()})
    fanout.deliver_records({"Records": [{"body": body}]})
    # THEN it queues lanes covering every recipient but the excluded sender, once
    ids = [cid for batch in queue.batches for cid in batch.connection_ids]
    assert sorted(ids) == sorted(f"C{n}" for n in range(1, 9)) and len(queue.batches) == 3
