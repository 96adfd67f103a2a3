"""ScheduledFunction: the captured publish is delivered at fire time; unknown kinds dropped."""

from __future__ import annotations

from functions.publish.app import lambda_handler as publish
from functions.scheduled.app import lambda_handler
from tests.support.calls import subscribe
from tests.support.channels import gateway, open_connection, pubsub
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def test_scheduled_message_arrives_when_fired(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "A", {"c": {"subscribe": True}})
    subscribe(conn, "c", channel_stack)
    payload = {
        "channel": "c",
        "event": "reminder",
        "data": {"t": 1},
        "scheduleExpression": "at(2026-01-05T10:01:00)",
        "eagerIdGeneration": True,
        "emitPubSubEvent": True,
    }
    result = publish(payload, FakeLambdaContext(), app=channel_stack.app)
    assert gateway(channel_stack).events("A") == ["hotsock.subscribed"]
    captured = channel_stack.scheduler.schedules[0][2]  # type: ignore[attr-defined]
    fired = lambda_handler(captured, FakeLambdaContext(), app=channel_stack.app)
    assert fired == {"ran": True}
    frame = gateway(channel_stack).frames["A"][-1]
    assert frame == {"id": result["id"], "event": "reminder", "channel": "c", "data": {"t": 1}}
    assert (
        pubsub(channel_stack).of_type("hotsock.messagePublished")[0]["metadata"]["requestId"]
        == FakeLambdaContext.aws_request_id
    )


def test_unknown_kind_is_dropped(channel_stack: Stack) -> None:
    result = lambda_handler({"kind": "nope"}, FakeLambdaContext(), app=channel_stack.app)
    assert result == {"ran": False}


def test_a_failed_firing_is_delivered_by_the_retry_and_a_repeat_is_dropped(
    channel_stack: Stack,
) -> None:
    # GIVEN a scheduled message whose first firing fails while fanning out
    conn = open_connection(channel_stack, "A", {"c": {"subscribe": True}})
    subscribe(conn, "c", channel_stack)
    payload = {"channel": "c", "event": "r", "scheduleExpression": "at(2026-01-05T10:01:00)"}
    publish(payload, FakeLambdaContext(), app=channel_stack.app)
    captured = channel_stack.scheduler.schedules[0][2]  # type: ignore[attr-defined]
    fanout = channel_stack.fanout
    real_deliver = fanout.deliver

    def broken(job: object) -> object:
        raise RuntimeError("management API unavailable")

    fanout.deliver = broken  # type: ignore[method-assign]
    try:
        lambda_handler(captured, FakeLambdaContext(), app=channel_stack.app)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failed firing must raise so the Scheduler retries it")
    fanout.deliver = real_deliver  # type: ignore[method-assign]
    # WHEN the Scheduler retries, and then fires once more (at-least-once delivery)
    lambda_handler(captured, FakeLambdaContext(), app=channel_stack.app)
    lambda_handler(captured, FakeLambdaContext(), app=channel_stack.app)
    # THEN the subscriber got the message exactly once
    assert gateway(channel_stack).events("A") == ["hotsock.subscribed", "r"]
