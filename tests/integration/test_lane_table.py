"""Lane state items and a subscription's lane move, on moto (F35)."""

from __future__ import annotations

import boto3

from opensock.adapters.sqs import SqsFanoutQueue
from opensock.domain.lanes import OWN_LANE, LaneState
from tests.support.calls import subscribe
from tests.support.channels import open_connection
from tests.support.fakes import FrozenClock
from tests.support.stack import Stack


def test_divert_then_settle_round_trips_and_expires(
    channel_stack: Stack, clock: FrozenClock
) -> None:
    lanes = channel_stack.lane_states
    # GIVEN an unknown lane: nothing diverted
    assert lanes.get("c", 4) == LaneState()
    # WHEN two slow connections are diverted, then one of their posts ends
    lanes.divert("c", 4, ["S1=", "S2="], clock() + 30)
    lanes.settle("c", 4, ["S1="])
    # THEN both stay diverted, only S2 is busy (until its bound), other lanes untouched
    assert lanes.get("c", 4) == LaneState(frozenset({"S1=", "S2="}), {"S2=": clock() + 30})
    assert lanes.get("c", 5) == LaneState()
    # AND the state outlives any connection (2 h), then reads as empty
    clock.advance(2 * 3600 + 60)
    assert lanes.get("c", 4).diverted == {"S1=", "S2="}
    clock.advance(3600)
    assert lanes.get("c", 4) == LaneState()


def test_a_lane_state_item_is_not_a_subscription(channel_stack: Stack) -> None:
    # GIVEN a channel with one subscriber and a lane state item
    conn = open_connection(channel_stack, "A", {"c": {"subscribe": True}})
    subscribe(conn, "c", channel_stack)
    channel_stack.lane_states.divert("c", 0, ["A"], 0)
    # THEN the fan-out reads only the subscription
    assert [r.connection_id for r in channel_stack.subscriptions.recipients("c")] == ["A"]


def test_move_to_lane_changes_a_live_subscription_and_creates_nothing(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "A", {"c": {"subscribe": True}})
    subscribe(conn, "c", channel_stack)
    channel_stack.subscriptions.move_to_lane("c", "A", OWN_LANE)
    channel_stack.subscriptions.move_to_lane("c", "GONE", OWN_LANE)
    assert [(r.connection_id, r.lane) for r in channel_stack.subscriptions.recipients("c")] == [
        ("A", OWN_LANE)
    ]


def test_release_and_retry_later_on_a_fifo_queue(channel_stack: Stack) -> None:
    # GIVEN two messages of one FIFO group, the first received
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="lanes.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for n in range(2):
        sqs.send_message(QueueUrl=url, MessageBody=str(n), MessageGroupId="g",
                         MessageDeduplicationId=str(n))  # fmt: skip
    queue = SqsFanoutQueue(url)
    [first] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    # WHEN it is released before its invocation ends
    queue.release(first["ReceiptHandle"])
    # THEN the group's next message is available at once
    [second] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert (first["Body"], second["Body"]) == ("0", "1")
    # AND a message handed back for later is not received again now
    queue.retry_later(second["ReceiptHandle"], 30)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_forwarded_and_finished_copies_decide_a_return(
    channel_stack: Stack, clock: FrozenClock
) -> None:
    lanes = channel_stack.lane_states
    # GIVEN S1 and S2 diverted from lane 4, S1 with two copies forwarded and one finished
    lanes.divert("c", 4, ["S1=", "S2="], clock() + 30)
    lanes.settle("c", 4, ["S1=", "S2="])
    lanes.forward("c", 4, ["S1="])
    lanes.forward("c", 4, ["S1="])
    lanes.finish("c", 4, "S1=")
    state = lanes.get("c", 4)
    assert (state.forwarded, state.done) == ({"S1=": 2}, {"S1=": 1})
    # THEN S1 may not return yet (a copy is pending), S2 may (none was forwarded)
    assert not state.may_return("S1=", clock()) and state.may_return("S2=", clock())
    # WHEN a restore of S1 is tried with stale counts, THEN nothing changes
    assert lanes.restore("c", 4, {"S1=": 1}) is False
    assert lanes.get("c", 4).diverted == {"S1=", "S2="}
    # WHEN S2 returns, and S1's last copy finishes and it returns too
    assert lanes.restore("c", 4, {"S2=": 0}) is True
    lanes.finish("c", 4, "S1=")
    assert lanes.get("c", 4).may_return("S1=", clock())
    assert lanes.restore("c", 4, {"S1=": 2}) is True
    # THEN the lane holds nobody diverted and no counts
    assert lanes.get("c", 4) == LaneState()
