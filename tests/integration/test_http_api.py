"""HttpApiFunction: Client HTTP API base + publishMessage, admin GET /channels/{name}."""

from __future__ import annotations

import json
from typing import Any

from functions.http_api.app import lambda_handler
from tests.support.calls import subscribe
from tests.support.channels import gateway, open_connection, pubsub
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import load_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def request(
    stack: Stack, path: str, body: Any = None, *, method: str = "POST", **query: str
) -> tuple[int, Any, dict[str, str]]:
    event = load_event("http_api")
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["queryStringParameters"] = query
    event["body"] = json.dumps(body) if body is not None else ""
    if method == "GET":
        event["headers"]["authorization"] = f"Bearer {PUBLISH_API_KEY}"
    response = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    parsed = json.loads(response["body"]) if "body" in response else None
    return response["statusCode"], parsed, response["headers"]


def test_publish_message_202(channel_stack: Stack) -> None:
    conn = open_connection(
        channel_stack, "A", {"c": {"subscribe": True, "messages": {"e": {"publish": True}}}}
    )
    subscribe(conn, "c", channel_stack)
    other = open_connection(channel_stack, "B", {"c": {"subscribe": True}})
    subscribe(other, "c", channel_stack)
    creds = {"connectionId": "A", "connectionSecret": conn.secret}
    body = {"channel": "c", "event": "e", "data": 1, "eagerIdGeneration": True}
    status, reply, headers = request(channel_stack, "/connection/publishMessage", body, **creds)
    assert status == 202
    assert set(reply) == {"channel", "event", "id"}
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert gateway(channel_stack).frames["B"][-1]["id"] == reply["id"]


def test_request_id_is_the_lambda_invocations(channel_stack: Stack) -> None:
    # GIVEN a subscriber whose publishes emit messagePublished
    grants = {
        "c": {"subscribe": True, "messages": {"e": {"publish": True, "emitPubSubEvent": True}}}
    }
    conn = open_connection(channel_stack, "A", grants)
    subscribe(conn, "c", channel_stack)
    creds = {"connectionId": "A", "connectionSecret": conn.secret}
    # WHEN HttpApiFunction accepts a publishMessage
    status, _, _ = request(
        channel_stack, "/connection/publishMessage", {"channel": "c", "event": "e"}, **creds
    )
    # THEN requestId is the id of that Lambda invocation (S §5.7), not the URL event's
    assert status == 202
    (event,) = pubsub(channel_stack).of_type("hotsock.messagePublished")
    assert event["metadata"]["requestId"] == FakeLambdaContext.aws_request_id


def test_error_table(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "A", {"c": {"messages": {"e": {"publish": True}}}})
    creds = {"connectionId": "A", "connectionSecret": conn.secret}
    assert request(channel_stack, "/connection/nope", {}, **creds)[0] == 404
    status, _, headers = request(channel_stack, "/connection/publishMessage", method="GET")
    assert (status, headers["Allow"]) == (405, "POST")
    bad = {"connectionId": "A", "connectionSecret": "wrong"}
    assert request(channel_stack, "/connection/publishMessage", {}, **bad)[0] == 401
    status, reply, _ = request(channel_stack, "/connection/publishMessage", None, **creds)
    assert (status, reply["error"]["code"]) == (400, "INVALID_MESSAGE")
    body = {"channel": "c", "event": "e"}
    status, reply, _ = request(channel_stack, "//connection/publishMessage", body, **creds)
    assert (status, reply["error"]["code"]) == (403, "NOT_SUBSCRIBED")


def test_admin_channel_info(channel_stack: Stack) -> None:
    for cid, uid in (("A", "ana"), ("B", "ana"), ("C", "cy")):
        conn = open_connection(channel_stack, cid, {"presence.l": {"subscribe": True}}, uid=uid)
        subscribe(conn, "presence.l", channel_stack)
    status, reply, _ = request(channel_stack, "/channels/presence.l", method="GET")
    assert status == 200
    assert reply == {
        "name": "presence.l",
        "subscriptionsCount": 3,
        "members": [{"uid": "ana", "umd": None}, {"uid": "cy", "umd": None}],
    }
    status, reply, _ = request(channel_stack, "/channels/never", method="GET")
    assert reply == {"name": "never", "subscriptionsCount": 0}
    status, reply, _ = request(channel_stack, "/channels/a%20b", method="GET")
    assert (status, reply["error"]["code"]) == (400, "INVALID_CHANNEL_NAME")
