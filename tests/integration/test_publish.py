"""PublishFunction against moto: Lambda invoke and Function URL, every payload field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.publish.app import lambda_handler
from tests.support.calls import subscribe
from tests.support.channels import count_dynamodb, gateway, open_connection, pubsub
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import load_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def invoke(stack: Stack, payload: Any) -> Any:
    return lambda_handler(payload, FakeLambdaContext(), app=stack.app)


def http(stack: Stack, body: Any, key: str = PUBLISH_API_KEY, **extra: Any) -> Any:
    event = load_event("publish_http")
    event["body"] = json.dumps(body)
    event["headers"]["authorization"] = f"Bearer {key}"
    event.update(extra)
    return invoke(stack, event)


def subscribers(stack: Stack, channel: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        conn = open_connection(stack, f"S{i:03d}", {channel: {"subscribe": True}})
        subscribe(conn, channel, stack)
        ids.append(conn.connection_id)
    return ids


def test_lambda_publish_reaches_every_subscriber_in_order(channel_stack: Stack) -> None:
    ids = subscribers(channel_stack, "live", 3)
    for n in range(5):
        assert invoke(channel_stack, {"channel": "live", "event": "tick", "data": n}) == {
            "channel": "live",
            "event": "tick",
        }
    for cid in ids:
        delivered = [f for f in gateway(channel_stack).frames[cid] if f["event"] == "tick"]
        assert [f["data"] for f in delivered] == [0, 1, 2, 3, 4]
        assert "meta" not in delivered[0]
        assert [f["id"] for f in delivered] == sorted(f["id"] for f in delivered)


def test_eager_id_and_pubsub(channel_stack: Stack) -> None:
    subscribers(channel_stack, "c", 1)
    result = invoke(
        channel_stack,
        {"channel": "c", "event": "e", "eagerIdGeneration": True, "emitPubSubEvent": True},
    )
    assert len(result["id"]) == 26
    event = pubsub(channel_stack).of_type("hotsock.messagePublished")[0]
    assert event["data"] == {"channel": "c", "event": "e", "id": result["id"], "data": None}
    assert event["dataType"] == "message"
    assert event["metadata"]["trigger"] == "server.lambda"
    assert "connectionId" not in event["metadata"]


@pytest.mark.parametrize("transport", ["server.lambda", "server.http"])
def test_request_id_is_the_lambda_invocations(channel_stack: Stack, transport: str) -> None:
    # GIVEN a publish asking for messagePublished, invoked directly or through the URL
    payload = {"channel": "c", "event": "e", "emitPubSubEvent": True}
    # WHEN PublishFunction accepts it
    invoke(channel_stack, payload) if transport == "server.lambda" else http(channel_stack, payload)
    # THEN requestId is the id of that invocation (S §5.7) on both transports
    (event,) = pubsub(channel_stack).of_type("hotsock.messagePublished")
    assert event["metadata"]["trigger"] == transport
    assert event["metadata"]["requestId"] == FakeLambdaContext.aws_request_id


def test_deduplication_id(channel_stack: Stack) -> None:
    ids = subscribers(channel_stack, "c", 1)
    for _ in range(2):
        invoke(channel_stack, {"channel": "c", "event": "e", "deduplicationId": "d1"})
    assert gateway(channel_stack).events(ids[0]).count("e") == 1


class FailingQueue:
    """The FanoutQueue with SQS down until `fail` is cleared."""

    def __init__(self) -> None:
        self.fail = True
        self.sent: list[Any] = []

    def send(self, batches: Any) -> None:
        if self.fail:
            raise RuntimeError("sqs send failed")
        self.sent.extend(batches)


def test_a_failed_delivery_releases_the_deduplication_id(channel_stack: Stack) -> None:
    # GIVEN a channel large enough to fan out through the queue, and SQS failing
    queue = FailingQueue()
    channel_stack.fanout_queue = queue  # type: ignore[assignment]
    channel_stack = channel_stack.with_settings(fanout_batch_size=2)
    subscribers(channel_stack, "c", 4)
    payload = {"channel": "c", "event": "e", "deduplicationId": "d-1"}
    # WHEN the publish fails after its deduplication id was claimed (an internal failure
    # raises, so the invoker retries: S §2.8)
    with pytest.raises(RuntimeError):
        invoke(channel_stack, payload)
    # THEN the retry with the same id is delivered, not dropped as a duplicate
    queue.fail = False
    assert invoke(channel_stack, payload) == {"channel": "c", "event": "e"}
    # (S000 and S001 joined a channel smaller than a lane: the inline lane, posted)
    assert sorted(cid for batch in queue.sent for cid in batch.connection_ids) == ["S002", "S003"]


def storage_set(key: str, data: Any, **extra: Any) -> dict[str, Any]:
    return {"channel": "c", "event": "hotsock.channelStorageSet", "key": key, "data": data, **extra}


def stored(stack: Stack, key: str) -> Any:
    entry = stack.storage_entries.get("c", key, stack.clock())
    return None if entry is None else entry.data


def test_storage_writes_honour_the_deduplication_id(channel_stack: Stack) -> None:
    # GIVEN a server storage write with a deduplication id (S §2.5: "applies as for messages")
    assert invoke(channel_stack, storage_set("k", 1, deduplicationId="s-1")) == {
        "channel": "c",
        "event": "hotsock.channelStorageSet",
    }
    # WHEN another write with the same id comes within the window
    again = invoke(channel_stack, storage_set("k", 2, deduplicationId="s-1"))
    # THEN it is acknowledged alike and dropped; other ids and no id are applied
    assert again == {"channel": "c", "event": "hotsock.channelStorageSet"}
    assert stored(channel_stack, "k") == 1
    invoke(channel_stack, storage_set("k", 3, deduplicationId=""))
    assert stored(channel_stack, "k") == 3
    invoke(channel_stack, storage_set("k", 4, deduplicationId="s-2"))
    assert stored(channel_stack, "k") == 4
    # AND a message and a storage write share one deduplication window (one buffer in Hotsock)
    invoke(channel_stack, storage_set("k", 5, deduplicationId="m-1"))
    subscribers(channel_stack, "c", 1)
    invoke(channel_stack, {"channel": "c", "event": "e", "deduplicationId": "m-1"})
    assert "e" not in gateway(channel_stack).events("S000")


def test_a_storage_deduplication_id_must_be_a_string(channel_stack: Stack) -> None:
    reply = invoke(channel_stack, storage_set("k", 1, deduplicationId=7))
    assert reply["error"]["code"] == "INVALID_MESSAGE"
    assert stored(channel_stack, "k") is None


def test_a_failed_storage_write_releases_its_deduplication_id(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the table refusing the first storage write
    real = channel_stack.storage_entries.put
    calls: list[int] = []

    def put_once_failing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("dynamodb down")
        return real(*args)

    monkeypatch.setattr(channel_stack.storage_entries, "put", put_once_failing)
    payload = storage_set("k", 1, deduplicationId="s-1")
    with pytest.raises(RuntimeError):
        invoke(channel_stack, payload)
    # WHEN the invoker retries with the same id
    invoke(channel_stack, payload)
    # THEN the write is applied
    assert stored(channel_stack, "k") == 1


def test_a_scheduled_storage_write_applies_its_deduplication_id_at_fire_time(
    channel_stack: Stack,
) -> None:
    from functions.scheduled.app import lambda_handler as scheduled

    # GIVEN two scheduled storage writes carrying the same deduplication id
    at = {"scheduleExpression": "at(2030-01-01T10:00:00)"}
    for value in (1, 2):
        invoke(channel_stack, storage_set("k", value, deduplicationId="s-1", **at))
    payloads = [payload for _, _, payload in channel_stack.scheduler.schedules]  # type: ignore[attr-defined]
    # WHEN both fire
    for payload in payloads:
        scheduled(payload, FakeLambdaContext(), app=channel_stack.app)
    # THEN the first is applied and the second dropped as its duplicate
    assert stored(channel_stack, "k") == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ([], "INVALID_MESSAGE"),
        ({"event": "e"}, "INVALID_MESSAGE"),
        ({"channel": "a b", "event": "e"}, "INVALID_CHANNEL_NAME"),
        ({"channel": "c", "event": "hotsock.x"}, "INVALID_EVENT_NAME"),
        ({"channel": "c", "event": ["x"]}, "INVALID_MESSAGE"),
        ({"channel": "c", "event": "e", "data": "x" * 40000}, "DATA_TOO_LARGE"),
        ({"channel": "c", "event": "e", "store": -5}, "INVALID_STORE"),
        (
            {"channel": "c", "event": "e", "scheduleExpression": "rate(1 minute)"},
            "INVALID_SCHEDULE_EXPRESSION",
        ),
        (
            {"channel": "c", "event": "e", "scheduleExpression": "at(2000-01-01T00:00:00)"},
            "INVALID_SCHEDULE_EXPRESSION",
        ),
    ],
)
def test_invalid_payloads_are_results_not_errors(
    channel_stack: Stack, payload: Any, code: str
) -> None:
    assert invoke(channel_stack, payload)["error"]["code"] == code


def test_scheduled_publish_returns_arn(channel_stack: Stack) -> None:
    result = invoke(
        channel_stack,
        {
            "channel": "c",
            "event": "e",
            "scheduleExpression": "at(2030-01-01T10:00:00)",
            "scheduleExpressionTimezone": "Europe/Berlin",
            "eagerIdGeneration": True,
        },
    )
    assert result["scheduleArn"].startswith("arn:aws:scheduler:")
    at, _, payload = channel_stack.scheduler.schedules[0]  # type: ignore[attr-defined]
    assert at.isoformat() == "2030-01-01T09:00:00+00:00"
    assert payload["kind"] == "publish"
    assert payload["request"]["message_id"] == result["id"]


def test_http_publish_202_and_errors(channel_stack: Stack) -> None:
    ids = subscribers(channel_stack, "c", 1)
    response = http(channel_stack, {"channel": "c", "event": "e"})
    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {"channel": "c", "event": "e"}
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    assert gateway(channel_stack).events(ids[0])[-1] == "e"
    unauthorized = http(channel_stack, {"channel": "c", "event": "e"}, key="nope")
    assert unauthorized["statusCode"] == 401
    assert unauthorized["headers"]["WWW-Authenticate"] == "Bearer"
    bad = http(channel_stack, {"channel": "c"})
    assert bad["statusCode"] == 400
    assert json.loads(bad["body"])["error"]["code"] == "INVALID_MESSAGE"


def test_http_publish_base64_body(channel_stack: Stack) -> None:
    import base64

    event = load_event("publish_http")
    event["headers"]["authorization"] = f"Bearer {PUBLISH_API_KEY}"
    event["body"] = base64.b64encode(b'{"channel":"c","event":"e"}').decode()
    event["isBase64Encoded"] = True
    assert invoke(channel_stack, event)["statusCode"] == 202


def test_request_counts_fanout_1_and_100(channel_stack: Stack) -> None:
    subscribers(channel_stack, "one", 1)
    subscribers(channel_stack, "hundred", 100)
    counter = count_dynamodb(channel_stack)
    invoke(channel_stack, {"channel": "one", "event": "e"})
    one = counter.by_operation()
    counter.calls.clear()
    posts_before = sum(len(v) for v in gateway(channel_stack).frames.values())
    invoke(channel_stack, {"channel": "hundred", "event": "e"})
    posts = sum(len(v) for v in gateway(channel_stack).frames.values()) - posts_before
    print("server publish fan-out 1", one, "fan-out 100", counter.by_operation(), "posts", posts)
    assert one == {"Query": 1}
    assert counter.by_operation() == {"Query": 1}
    assert posts == 100
