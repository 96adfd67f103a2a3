"""PublishFunction against moto: Lambda invoke and Function URL, every payload field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.publish.app import lambda_handler
from opensock.app.subscriptions import subscribe
from opensock.wiring import Services
from tests.support.channels import count_dynamodb, gateway, open_connection, pubsub
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import load_event
from tests.support.fakes import FakeLambdaContext


def invoke(services: Services, payload: Any) -> Any:
    return lambda_handler(payload, FakeLambdaContext(), services=services)


def http(services: Services, body: Any, key: str = PUBLISH_API_KEY, **extra: Any) -> Any:
    event = load_event("publish_http")
    event["body"] = json.dumps(body)
    event["headers"]["authorization"] = f"Bearer {key}"
    event.update(extra)
    return invoke(services, event)


def subscribers(services: Services, channel: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        conn = open_connection(services, f"S{i:03d}", {channel: {"subscribe": True}})
        subscribe(conn, channel, services)
        ids.append(conn.connection_id)
    return ids


def test_lambda_publish_reaches_every_subscriber_in_order(channel_services: Services) -> None:
    ids = subscribers(channel_services, "live", 3)
    for n in range(5):
        assert invoke(channel_services, {"channel": "live", "event": "tick", "data": n}) == {
            "channel": "live",
            "event": "tick",
        }
    for cid in ids:
        delivered = [f for f in gateway(channel_services).frames[cid] if f["event"] == "tick"]
        assert [f["data"] for f in delivered] == [0, 1, 2, 3, 4]
        assert "meta" not in delivered[0]
        assert [f["id"] for f in delivered] == sorted(f["id"] for f in delivered)


def test_eager_id_and_pubsub(channel_services: Services) -> None:
    subscribers(channel_services, "c", 1)
    result = invoke(
        channel_services,
        {"channel": "c", "event": "e", "eagerIdGeneration": True, "emitPubSubEvent": True},
    )
    assert len(result["id"]) == 26
    event = pubsub(channel_services).of_type("hotsock.messagePublished")[0]
    assert event["data"] == {"channel": "c", "event": "e", "id": result["id"], "data": None}
    assert event["dataType"] == "message"
    assert event["metadata"]["trigger"] == "server.lambda"
    assert "connectionId" not in event["metadata"]


def test_deduplication_id(channel_services: Services) -> None:
    ids = subscribers(channel_services, "c", 1)
    for _ in range(2):
        invoke(channel_services, {"channel": "c", "event": "e", "deduplicationId": "d1"})
    assert gateway(channel_services).events(ids[0]).count("e") == 1


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
    channel_services: Services, payload: Any, code: str
) -> None:
    assert invoke(channel_services, payload)["error"]["code"] == code


def test_scheduled_publish_returns_arn(channel_services: Services) -> None:
    result = invoke(
        channel_services,
        {
            "channel": "c",
            "event": "e",
            "scheduleExpression": "at(2030-01-01T10:00:00)",
            "scheduleExpressionTimezone": "Europe/Berlin",
            "eagerIdGeneration": True,
        },
    )
    assert result["scheduleArn"].startswith("arn:aws:scheduler:")
    at, _, payload = channel_services.scheduler.schedules[0]  # type: ignore[attr-defined]
    assert at.isoformat() == "2030-01-01T09:00:00+00:00"
    assert payload["kind"] == "publish"
    assert payload["request"]["message_id"] == result["id"]


def test_http_publish_202_and_errors(channel_services: Services) -> None:
    ids = subscribers(channel_services, "c", 1)
    response = http(channel_services, {"channel": "c", "event": "e"})
    assert response["statusCode"] == 202
    assert json.loads(response["body"]) == {"channel": "c", "event": "e"}
    assert response["headers"]["Access-Control-Allow-Origin"] == "*"
    assert gateway(channel_services).events(ids[0])[-1] == "e"
    unauthorized = http(channel_services, {"channel": "c", "event": "e"}, key="nope")
    assert unauthorized["statusCode"] == 401
    assert unauthorized["headers"]["WWW-Authenticate"] == "Bearer"
    bad = http(channel_services, {"channel": "c"})
    assert bad["statusCode"] == 400
    assert json.loads(bad["body"])["error"]["code"] == "INVALID_MESSAGE"


def test_http_publish_base64_body(channel_services: Services) -> None:
    import base64

    event = load_event("publish_http")
    event["headers"]["authorization"] = f"Bearer {PUBLISH_API_KEY}"
    event["body"] = base64.b64encode(b'{"channel":"c","event":"e"}').decode()
    event["isBase64Encoded"] = True
    assert invoke(channel_services, event)["statusCode"] == 202


def test_request_counts_fanout_1_and_100(channel_services: Services) -> None:
    subscribers(channel_services, "one", 1)
    subscribers(channel_services, "hundred", 100)
    counter = count_dynamodb(channel_services)
    invoke(channel_services, {"channel": "one", "event": "e"})
    one = counter.by_operation()
    counter.calls.clear()
    posts_before = sum(len(v) for v in gateway(channel_services).frames.values())
    invoke(channel_services, {"channel": "hundred", "event": "e"})
    posts = sum(len(v) for v in gateway(channel_services).frames.values()) - posts_before
    print("server publish fan-out 1", one, "fan-out 100", counter.by_operation(), "posts", posts)
    assert one == {"Query": 1}
    assert counter.by_operation() == {"Query": 1}
    assert posts == 100
