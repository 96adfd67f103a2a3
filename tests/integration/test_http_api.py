"""HttpApiFunction: Client HTTP API base + publishMessage, admin GET /channels/{name}."""

from __future__ import annotations

import json
from typing import Any

from functions.http_api.app import lambda_handler
from opensock.app.subscriptions import subscribe
from opensock.wiring import Services
from tests.support.channels import gateway, open_connection
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import load_event
from tests.support.fakes import FakeLambdaContext


def request(
    services: Services, path: str, body: Any = None, *, method: str = "POST", **query: str
) -> tuple[int, Any, dict[str, str]]:
    event = load_event("http_api")
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["queryStringParameters"] = query
    event["body"] = json.dumps(body) if body is not None else ""
    if method == "GET":
        event["headers"]["authorization"] = f"Bearer {PUBLISH_API_KEY}"
    response = lambda_handler(event, FakeLambdaContext(), services=services)
    parsed = json.loads(response["body"]) if "body" in response else None
    return response["statusCode"], parsed, response["headers"]


def test_publish_message_202(channel_services: Services) -> None:
    conn = open_connection(
        channel_services, "A", {"c": {"subscribe": True, "messages": {"e": {"publish": True}}}}
    )
    subscribe(conn, "c", channel_services)
    other = open_connection(channel_services, "B", {"c": {"subscribe": True}})
    subscribe(other, "c", channel_services)
    creds = {"connectionId": "A", "connectionSecret": conn.secret}
    body = {"channel": "c", "event": "e", "data": 1, "eagerIdGeneration": True}
    status, reply, headers = request(channel_services, "/connection/publishMessage", body, **creds)
    assert status == 202
    assert set(reply) == {"channel", "event", "id"}
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert gateway(channel_services).frames["B"][-1]["id"] == reply["id"]


def test_error_table(channel_services: Services) -> None:
    conn = open_connection(channel_services, "A", {"c": {"messages": {"e": {"publish": True}}}})
    creds = {"connectionId": "A", "connectionSecret": conn.secret}
    assert request(channel_services, "/connection/nope", {}, **creds)[0] == 404
    status, _, headers = request(channel_services, "/connection/publishMessage", method="GET")
    assert (status, headers["Allow"]) == (405, "POST")
    bad = {"connectionId": "A", "connectionSecret": "wrong"}
    assert request(channel_services, "/connection/publishMessage", {}, **bad)[0] == 401
    status, reply, _ = request(channel_services, "/connection/publishMessage", None, **creds)
    assert (status, reply["error"]["code"]) == (400, "INVALID_MESSAGE")
    body = {"channel": "c", "event": "e"}
    status, reply, _ = request(channel_services, "//connection/publishMessage", body, **creds)
    assert (status, reply["error"]["code"]) == (403, "NOT_SUBSCRIBED")


def test_admin_channel_info(channel_services: Services) -> None:
    for cid, uid in (("A", "ana"), ("B", "ana"), ("C", "cy")):
        conn = open_connection(channel_services, cid, {"presence.l": {"subscribe": True}}, uid=uid)
        subscribe(conn, "presence.l", channel_services)
    status, reply, _ = request(channel_services, "/channels/presence.l", method="GET")
    assert status == 200
    assert reply == {
        "name": "presence.l",
        "subscriptionsCount": 3,
        "members": [{"uid": "ana", "umd": None}, {"uid": "cy", "umd": None}],
    }
    status, reply, _ = request(channel_services, "/channels/never", method="GET")
    assert reply == {"name": "never", "subscriptionsCount": 0}
    status, reply, _ = request(channel_services, "/channels/a%20b", method="GET")
    assert (status, reply["error"]["code"]) == (400, "INVALID_CHANNEL_NAME")
