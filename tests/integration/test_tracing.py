"""Tracing spans in logs (SERVER-API §6): one trace across PublishFunction -> SQS ->
FanoutFunction and across a schedule, sampled per trace by TracesInLogsSampleRateParameter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.fanout.app import lambda_handler as fanout_handler
from functions.publish.app import lambda_handler as publish_handler
from functions.scheduled.app import lambda_handler as scheduled_handler
from opensock.adapters.scheduler import EventBridgeScheduler
from opensock.adapters.sqs import SqsFanoutQueue
from opensock.config import load_settings
from opensock.domain.model import Connection
from opensock.tracing import TRACEPARENT, root_span
from tests.support.channels import FakeScheduler
from tests.support.fakes import FakeConnections, FakeLambdaContext, FakePublisher, FrozenClock
from tests.support.stack import Stack

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def stack(rate: float, **overrides: Any) -> Stack:
    settings = load_settings().model_copy(
        update={"traces_in_logs_sample_rate": rate, "fanout_batch_size": 10}
    )
    return Stack(
        settings,
        clock=FrozenClock(),
        sleep=lambda _: None,
        gateway=FakeConnections(),
        pubsub=FakePublisher(),
        scheduler=FakeScheduler(),
        **overrides,
    )


FIELDS = ("traceId", "spanId", "parentSpanId", "spanName", "status", "startEpochMs", "durationMs")


def spans(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The `app.span` entries logged since the last call (their structured keys)."""
    found = [
        {name: getattr(record, name, None) for name in FIELDS}
        for record in caplog.records
        if record.getMessage() == "app.span"
    ]
    caplog.clear()
    return found


def subscribe_many(target: Stack, channel: str, count: int) -> None:
    for n in range(count):
        cid = f"C{n:03d}"
        connection = Connection(
            connection_id=cid,
            uid=None,
            umd=None,
            grants={channel: {"subscribe": True}},
            secret="s",
            connected_at=target.clock(),
            expires_at=int(target.clock()) + 7200,
        )
        target.connections.put(connection)
        target.app.subscriptions.subscribe(connection, channel)


@pytest.fixture
def queue_url(aws: None) -> Iterator[str]:
    sqs = boto3.client("sqs")
    yield sqs.create_queue(QueueName="fanout.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]


def test_a_large_fan_out_is_one_trace_across_the_queue(
    queue_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN every trace sampled and a channel larger than one lane
    traced = stack(100, fanout_queue=SqsFanoutQueue(queue_url))
    subscribe_many(traced, "big", 25)
    caplog.clear()
    # WHEN the backend publishes and FanoutFunction runs the lanes SQS hands it
    payload = {"channel": "big", "event": "news", "data": 1}
    publish_handler(payload, FakeLambdaContext(), app=traced.app)
    messages = boto3.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    records = [
        {
            "body": m["Body"],
            "messageAttributes": {
                name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
                for name, value in m.get("MessageAttributes", {}).items()
            },
        }
        for m in messages
    ]
    assert len(records) == 3
    inline = sum(
        1 for frames in traced.gateway.frames.values() for f in frames if f["event"] == "news"
    )
    posted = fanout_handler({"Records": records}, FakeLambdaContext(), app=traced.app)["posted"]
    assert inline >= 10 and inline + posted == 25  # the inline lane: the first 10 and a few
    # THEN both invocations log spans of one trace, the fan-out's root a child of the publish
    logged = spans(caplog)
    roots = [span for span in logged if span["spanName"] == FakeLambdaContext.function_name]
    assert len(roots) == 2
    publish_root, fanout_root = roots
    assert publish_root["parentSpanId"] is None
    assert fanout_root["traceId"] == publish_root["traceId"]
    publish_spans = {s["spanId"] for s in logged if s["traceId"] == publish_root["traceId"]}
    assert fanout_root["parentSpanId"] in publish_spans
    for span in logged:
        assert span["status"] == "ok" and span["durationMs"] >= 0
        assert len(span["spanId"]) == 16 and span["startEpochMs"] > 0


def test_an_unsampled_trace_logs_no_span(queue_url: str, caplog: pytest.LogCaptureFixture) -> None:
    quiet = stack(0, fanout_queue=SqsFanoutQueue(queue_url))
    subscribe_many(quiet, "big", 12)
    caplog.clear()
    publish_handler({"channel": "big", "event": "e"}, FakeLambdaContext(), app=quiet.app)
    assert spans(caplog) == []


def test_a_scheduled_run_continues_the_scheduling_trace(
    aws: None, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN the real Scheduler adapter, called inside a sampled trace
    captured: list[dict[str, Any]] = []

    class Client:
        def create_schedule(self, **request: Any) -> dict[str, str]:
            captured.append(json.loads(request["Target"]["Input"]))
            return {"ScheduleArn": "arn:aws:scheduler:::schedule/g/1"}

    scheduler = EventBridgeScheduler("g", "role", "target", client=Client())
    traceparent = f"00-{TRACE}-{PARENT}-01"
    with root_span("publish", traceparent, 0):
        scheduler.schedule(datetime(2030, 1, 1, tzinfo=UTC), "UTC", {"kind": "x"})
    assert captured[0][TRACEPARENT].startswith(f"00-{TRACE}-")
    # WHEN ScheduledFunction receives that input
    traced = stack(0)
    caplog.clear()
    scheduled_handler(captured[0], FakeLambdaContext(), app=traced.app)
    # THEN its root span belongs to the same trace (sampled where it started, not here)
    (root,) = spans(caplog)
    assert root["traceId"] == TRACE
    assert root["parentSpanId"] == captured[0][TRACEPARENT].split("-")[2]
