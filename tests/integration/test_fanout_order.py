"""Per-connection order (PROTOCOL §18, F35): a connection's messages arrive in publish order
however the channel's size changes between them, across lane counts and the inline/queued
threshold, while earlier messages are still queued (lanes run at random relative speeds)."""

from __future__ import annotations

import pytest

from opensock.domain.fanout_jobs import FanoutJob
from tests.support.calls import subscribe, unsubscribe
from tests.support.channels import open_connection
from tests.support.fifo import FifoGroups
from tests.support.stack import Stack

LANE = 5
CHANNEL = "room"


@pytest.fixture
def lanes_stack(channel_stack: Stack) -> Stack:
    """The channel stack with lanes of 5 and an in-memory FIFO queue."""
    channel_stack.fanout_queue = FifoGroups()  # type: ignore[assignment]
    return channel_stack.with_settings(fanout_batch_size=LANE)


def received(stack: Stack, connection_id: str) -> list[int]:
    frames = stack.gateway.frames[connection_id]
    return [frame["data"] for frame in frames if frame.get("event") == "m"]


def join(stack: Stack, number: int) -> str:
    conn = open_connection(stack, f"C{number:03d}", {CHANNEL: {"subscribe": True}})
    subscribe(conn, CHANNEL, stack)
    return conn.connection_id


def publish(stack: Stack, number: int) -> None:
    stack.app.fanout.deliver(FanoutJob(CHANNEL, {"event": "m", "channel": CHANNEL, "data": number}))


def grow_and_shrink(stack: Stack) -> tuple[list[str], int]:
    """3 subscribers (inline), growing to 45 (9 lanes' worth) while messages flow, then
    shrinking to 2; only some queued messages run between two publishes. Returns the two
    that stayed throughout and how many messages were published."""
    queue = stack.fanout_queue
    members = [join(stack, n) for n in range(3)]
    first = list(members)
    published = 0
    for step in range(42):
        members.append(join(stack, 3 + step))
        publish(stack, published)
        published += 1
        if step % 3 == 0:
            queue.run_one(stack.app.lanes.deliver_records)
    while len(members) > 2:
        for _ in range(min(2, len(members) - 2)):
            unsubscribe(members.pop(), CHANNEL, stack)
        publish(stack, published)
        published += 1
        if published % 4 == 0:
            queue.run_one(stack.app.lanes.deliver_records)
    queue.run_all(stack.app.lanes.deliver_records)
    return first[:2], published


def assert_in_order(stack: Stack, stayed: list[str], published: int) -> None:
    for n in range(45):
        got = received(stack, f"C{n:03d}")
        assert got == sorted(got) and len(set(got)) == len(got), f"C{n:03d}: {got}"
    for cid in stayed:
        assert received(stack, cid) == list(range(published))


def test_order_holds_while_the_channel_grows_past_many_lanes_and_shrinks_back(
    lanes_stack: Stack,
) -> None:
    # GIVEN a channel of 3 subscribers (inline) and FanoutFunction lanes that lag behind
    # WHEN it grows to 45 and shrinks back to 2 while messages flow
    stayed, published = grow_and_shrink(lanes_stack)
    # THEN every connection got its messages in publish order, and the ones there from start
    # to end got every message
    assert_in_order(lanes_stack, stayed, published)


def test_order_holds_across_the_plan_threshold(lanes_stack: Stack) -> None:
    # GIVEN lanes from 3 on read and queued by FanoutFunction from a plan (a channel of
    # ≈ 2,000 with lanes of 250), the plans and lanes running at random relative speeds
    lanes_stack.fanout._direct_lanes = 3
    # WHEN the channel grows well past it and shrinks back while messages flow
    stayed, published = grow_and_shrink(lanes_stack)
    # THEN the order still holds for every connection
    assert_in_order(lanes_stack, stayed, published)
