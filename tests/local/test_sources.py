"""Event sources from the template: Scheduler, SQS, DynamoDB TTL -> stream; pub/sub record."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def publish(stack: StackHandle, payload: dict[str, Any]) -> Any:
    response = stack.lambda_client().invoke(
        FunctionName="PublishFunction", Payload=json.dumps(payload).encode()
    )
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


def test_a_one_time_schedule_fires_at_its_time_then_is_deleted(fixture_stack: StackHandle) -> None:
    # GIVEN a schedule two seconds ahead, written in its own time zone
    when = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    local = when.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%dT%H:%M:%S")
    marker = uuid.uuid4().hex
    schedule = {"at": f"at({local})", "timezone": "Asia/Kolkata", "input": {"marker": marker}}
    publish(fixture_stack, {"schedule": schedule})
    # WHEN its time comes THEN the target function gets the input within a second
    fired = fixture_stack.wait_event(
        "test.scheduled", lambda e: e["data"]["input"] == {"marker": marker}, timeout=10
    )
    assert when.timestamp() <= fired["data"]["firedAt"] < when.timestamp() + 1.0
    # AND ActionAfterCompletion=DELETE removed it
    group = fixture_stack.environment["SCHEDULE_GROUP_NAME"]
    assert (
        boto3.client("scheduler", region_name="us-east-1").list_schedules(GroupName=group)[
            "Schedules"
        ]
        == []
    )


def test_queue_messages_reach_the_subscribed_function_with_partial_failures(
    fixture_stack: StackHandle,
) -> None:
    async def scenario() -> list[Any]:
        async with fixture_stack.connect("ok") as client:
            target = (await client.recv_event("hello"))["connectionId"]
            items = [{"connectionId": target, "frame": {"event": "fan", "n": n}} for n in range(6)]
            items.insert(2, {"fail": True})
            await asyncio.to_thread(publish, fixture_stack, {"enqueue": items})
            return [await client.recv_event("fan") for _ in range(6)]

    frames = asyncio.run(scenario())
    assert sorted(f["n"] for f in frames) == list(range(6))
    batches = fixture_stack.events("test.fanout")
    assert sum(b["data"]["batch"] for b in batches) == 7
    assert max(b["data"]["batch"] for b in batches) <= 5  # the template's BatchSize
    # AND the failed message stays in the queue (in flight until its visibility timeout)
    attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=fixture_stack.environment["FANOUT_QUEUE_URL"], AttributeNames=["All"]
    )["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == ("0", "1")


def test_a_message_its_function_deleted_early_is_not_delivered_again(
    fixture_stack: StackHandle,
) -> None:
    # GIVEN messages whose function deletes them itself before it returns (a lane releasing
    # its FIFO group past a slow connection), then the poller's own delete of the batch
    async def scenario() -> list[Any]:
        async with fixture_stack.connect("ok") as client:
            target = (await client.recv_event("hello"))["connectionId"]
            items = [
                {"connectionId": target, "frame": {"event": "early", "n": n}, "release": n < 2}
                for n in range(4)
            ]
            await asyncio.to_thread(publish, fixture_stack, {"enqueue": items})
            frames = [await client.recv_event("early") for _ in range(4)]
            # the poller takes one batch at a time (and deletes it before the next): once a
            # released sentinel is posted, the batches before it are settled
            sentinel = {"connectionId": target, "frame": {"event": "sentinel"}, "release": True}
            await asyncio.to_thread(publish, fixture_stack, {"enqueue": [sentinel]})
            await client.recv_event("sentinel")
            return frames

    def held() -> int:
        """Messages in the queue, visible or in flight."""
        attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
            QueueUrl=fixture_stack.environment["FANOUT_QUEUE_URL"], AttributeNames=["All"]
        )["Attributes"]
        names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        return sum(int(attributes[name]) for name in names)

    before = held()  # an earlier test may leave a failed message in the queue
    # THEN each is delivered once, and none is left behind
    frames = asyncio.run(scenario())
    assert sorted(f["n"] for f in frames) == [0, 1, 2, 3]
    assert held() == before


def test_expired_items_are_swept_into_filtered_stream_records(fixture_stack: StackHandle) -> None:
    # GIVEN two expired items, only one matching the stream's FilterCriteria, and a live one
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(
        fixture_stack.environment["TABLE_NAME"]
    )
    table.put_item(Item={"pk": "conn#alive", "sk": "conn", "expiresAt": int(time.time()) + 3600})
    publish(
        fixture_stack,
        {"expire": [{"pk": "conn#gone", "sk": "conn", "uid": "Jim"}, {"pk": "jti#x", "sk": "jti"}]},
    )
    # WHEN the sweeper runs THEN the matching removal reaches StreamFunction with its old image
    event = fixture_stack.wait_event("test.expired", timeout=10)
    (record,) = event["data"]["records"]
    assert record["eventName"] == "REMOVE"
    assert record["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert record["keys"] == {"pk": {"S": "conn#gone"}, "sk": {"S": "conn"}}
    assert record["oldImage"]["uid"] == {"S": "Jim"}
    # AND both expired items go (each sweep takes what has expired by then) while the live one stays
    deadline = time.monotonic() + 5
    while {"conn#gone", "jti#x"} & (keys := {item["pk"] for item in table.scan()["Items"]}):
        assert time.monotonic() < deadline, keys
        time.sleep(0.05)
    assert "conn#alive" in keys


def test_pubsub_events_are_recorded_once_and_filter_by_type(fixture_stack: StackHandle) -> None:
    # GIVEN both transports enabled (SNS and EventBridge each carry every envelope)
    marker = uuid.uuid4().hex
    fixture_stack.lambda_client().invoke(
        FunctionName="ScheduledFunction", Payload=json.dumps({"m": marker}).encode()
    )
    fixture_stack.lambda_client().invoke(
        FunctionName="ScheduledFunction", Payload=json.dumps({"m": marker}).encode()
    )
    # THEN each emitted envelope is recorded once
    mine = [
        e for e in fixture_stack.events("test.scheduled") if e["data"]["input"] == {"m": marker}
    ]
    assert len(mine) == 2
    assert {e["type"] for e in fixture_stack.events("test.scheduled")} == {"test.scheduled"}
    assert mine[0]["source"] == "hotsock.v1"
