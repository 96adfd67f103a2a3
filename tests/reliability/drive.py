"""Drive the real handlers: one WebSocket route or one Function URL request per call."""

from __future__ import annotations

import importlib
import json
from typing import Any

from tests.support.env import PUBLISH_API_KEY
from tests.support.events import load_event, ws_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack

WS_ROUTES = {
    "default": "functions.default.app",
    "subscribe": "functions.subscribe.app",
    "unsubscribe": "functions.unsubscribe.app",
    "channel_storage_set": "functions.channel_storage_set.app",
    "channel_storage_get": "functions.channel_storage_get.app",
    "umd_update": "functions.umd_update.app",
    "message_reaction": "functions.message_reaction.app",
    "connect": "functions.connect.app",
    "disconnect": "functions.disconnect.app",
}


def handler(module: str) -> Any:
    return importlib.import_module(module).lambda_handler


def ws_raw(stack: Stack, route: str, event: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = handler(WS_ROUTES[route])(event, FakeLambdaContext(), app=stack.app)
    return response


def ws(
    stack: Stack,
    route: str,
    body: Any = None,
    *,
    cid: str,
    raw_body: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Send one frame on `route`; returns the response and its parsed body frame (or None)."""
    event = ws_event(route, connection_id=cid, body=body, raw_body=raw_body)
    response = ws_raw(stack, route, event)
    frame = json.loads(response["body"]) if "body" in response else None
    return response, frame


def http(
    stack: Stack,
    path: str,
    body: Any = None,
    *,
    method: str = "POST",
    query: dict[str, str] | None = None,
    raw_body: str | None = None,
    authorization: str | None = None,
    function: str = "functions.http_api.app",
) -> tuple[int, Any, dict[str, Any]]:
    event = load_event("http_api")
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["queryStringParameters"] = query or {}
    event["body"] = raw_body if raw_body is not None else ("" if body is None else json.dumps(body))
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    elif method == "GET":
        event["headers"]["authorization"] = f"Bearer {PUBLISH_API_KEY}"
    response = handler(function)(event, FakeLambdaContext(), app=stack.app)
    parsed = json.loads(response["body"]) if response.get("body") else None
    return response["statusCode"], parsed, response
