"""Fan-out: small channels inline, large ones through FanoutQueue (moto SQS FIFO), gone pruning."""

from __future__ import annotations

import boto3

from functions.fanout.app import lambda_handler
from opensock.adapters.sqs import SqsFanoutQueue
from opensock.domain.fanout_jobs import FanoutJob
from tests.support.calls import subscribe
from tests.support.channels import gateway, open_connection, pubsub
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def subscribers(stack: Stack, channel: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        conn = open_connection(stack, f"S{i:03d}", {channel: {"subscribe": True}}, uid=f"u{i}")
        subscribe(conn, channel, stack)
        ids.append(conn.connection_id)
    return ids


def test_gone_connection_in_the_middle_is_pruned_rest_still_receive(
    channel_stack: Stack,
) -> None:
    # GIVEN 5 subscribers, the middle one dead (410) and its record gone
    ids = subscribers(channel_stack, "c", 5)
    dead = ids[2]
    gateway(channel_stack).gone.add(dead)
    channel_stack.connections.delete(dead)
    # WHEN a frame is fanned out
    report = channel_stack.fanout.deliver(FanoutJob("c", {"event": "x", "channel": "c"}))
    # THEN four posts, one gone, pruned with its subscription
    assert (report.posted, report.gone, report.failed, report.pruned) == (4, [dead], 0, 1)
    assert channel_stack.subscriptions.get("c", dead) is None
    assert pubsub(channel_stack).of_type("hotsock.unsubscribed")[-1]["data"]["connectionId"] == dead


def test_unconfirmed_gone_is_not_pruned(channel_stack: Stack) -> None:
    # GIVEN a live connection for which API Gateway answers a spurious 410 to a post
    ids = subscribers(channel_stack, "c", 2)
    gateway(channel_stack).flaky_gone.add(ids[0])
    # WHEN a frame is fanned out
    report = channel_stack.fanout.deliver(FanoutJob("c", {"event": "x"}))
    # THEN GET @connections says it is alive: nothing is pruned
    assert report.pruned == 0
    assert channel_stack.subscriptions.get("c", ids[0]) is not None
    assert channel_stack.connections.get(ids[0]) is not None


def test_confirmed_gone_with_live_record_is_pruned(channel_stack: Stack) -> None:
    # GIVEN a connection that died without $disconnect (its record still there)
    ids = subscribers(channel_stack, "c", 2)
    gateway(channel_stack).gone.add(ids[0])
    # WHEN a fan-out meets its 410 and GET @connections confirms it
    report = channel_stack.fanout.deliver(FanoutJob("c", {"event": "x"}))
    # THEN its record and subscription are removed; the other subscriber got the frame
    assert (report.posted, report.pruned) == (1, 1)
    assert channel_stack.subscriptions.get("c", ids[0]) is None
    assert channel_stack.connections.get(ids[0]) is None


def test_failed_post_does_not_stop_the_rest(channel_stack: Stack) -> None:
    ids = subscribers(channel_stack, "c", 3)
    fake = gateway(channel_stack)
    original = fake.post

    def flaky(connection_id: str, frame: object) -> None:
        if connection_id == ids[0]:
            raise RuntimeError("throttled")
        original(connection_id, frame)

    fake.post = flaky  # type: ignore[method-assign]
    report = channel_stack.fanout.deliver(FanoutJob("c", {"event": "x"}))
    assert (report.posted, report.failed) == (2, 1)


def test_large_channel_goes_through_fifo_lanes(channel_stack: Stack) -> None:
    # GIVEN a FIFO queue and lanes of 10, 35 subscribers given their lanes as they subscribed
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="fanout.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    channel_stack.fanout_queue = SqsFanoutQueue(url)  # type: ignore[assignment]
    stack = channel_stack.with_settings(fanout_batch_size=10)
    ids = subscribers(stack, "big", 35)
    # WHEN a message is fanned out
    report = stack.fanout.deliver(FanoutJob("big", {"event": "m", "channel": "big"}))
    # THEN the first 10 (lane 0) are posted inline, the others' lanes are queued
    assert report.posted == 10 and report.batches >= 3
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == report.batches
    event = {"Records": [{"body": m["Body"]} for m in messages]}
    # AND FanoutFunction posts every queued lane
    result = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    assert result == {"posted": 25, "gone": 0, "failed": 0}
    assert all(gateway(stack).events(cid)[-1] == "m" for cid in ids)


def test_lanes_above_the_direct_ones_are_laned_by_fanout_function(channel_stack: Stack) -> None:
    # GIVEN 23 subscribers given lanes of 5 as they subscribed, and a publish that handles
    # lanes 0 to 2 itself (a plan for the rest)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="plan.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    channel_stack.fanout_queue = SqsFanoutQueue(url)  # type: ignore[assignment]
    stack = channel_stack.with_settings(fanout_batch_size=5)
    ids = subscribers(stack, "huge", 23)
    stack.fanout._direct_lanes = 3
    lanes = {r.connection_id: r.lane for r in stack.subscriptions.recipients("huge")}
    assert max(lanes.values()) >= 3
    # WHEN a message is published by ids[0]: lane 0 posted, lanes 1-2 and a plan queued
    report = stack.fanout.deliver(FanoutJob("huge", {"event": "p", "channel": "huge"}, ids[0]))
    assert report.posted == sum(1 for cid, n in lanes.items() if n == 0 and cid != ids[0])
    # THEN FanoutFunction's runs (the plan queues lanes 3 and up) post to all but the sender
    posted = report.posted
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        event = {"Records": [{"body": m["Body"]} for m in messages]}
        posted += lambda_handler(event, FakeLambdaContext(), app=stack.app)["posted"]
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert posted == 22
    assert all(gateway(stack).events(cid)[-1] == "p" for cid in ids[1:])
    assert "p" not in gateway(stack).events(ids[0])


def test_observers_audience(channel_stack: Stack) -> None:
    watcher = open_connection(
        channel_stack, "W", {"s": {"subscribe": True, "storage": {"k": {"observe": True}}}}
    )
    other = open_connection(channel_stack, "O", {"s": {"subscribe": True}})
    subscribe(watcher, "s", channel_stack)
    subscribe(other, "s", channel_stack)
    from opensock.domain.fanout_jobs import Audience

    job = FanoutJob("s", {"event": "u"}, audience=Audience.observers("k"))
    assert FanoutJob.from_json(job.to_json()) == job
    assert channel_stack.fanout.deliver(job).posted == 1
    assert gateway(channel_stack).events("W")[-1] == "u"
