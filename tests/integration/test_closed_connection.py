"""A frame from a connection whose record is gone (closed, expired, never stored): every
WebSocket route answers it with its own refusal code, on the channel the client sent.

One rule everywhere (issue #13): `UNAUTHORIZED` is an HTTP-only code (SERVER-API §4.1) and is
never sent on the WebSocket; each route uses the code its clients already handle.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack

CID = "NoRecord1AA="
CASES = {
    "default": ({"event": "chat", "channel": "room"}, "PUBLISH_PERMISSION_DENIED"),
    "subscribe": ({"event": "hotsock.subscribe", "channel": "room"}, "SUBSCRIBE_PERMISSION_DENIED"),
    "unsubscribe": ({"event": "hotsock.unsubscribe", "channel": "room"}, "NOT_SUBSCRIBED"),
    "channel_storage_set": (
        {"event": "hotsock.channelStorageSet", "channel": "room", "key": "k", "data": 1},
        "STORAGE_SET_PERMISSION_DENIED",
    ),
    "channel_storage_get": (
        {"event": "hotsock.channelStorageGet", "channel": "room", "key": "k"},
        "STORAGE_GET_PERMISSION_DENIED",
    ),
    "umd_update": (
        {"event": "hotsock.umdUpdate", "channel": "room", "data": {"token": "t"}},
        "UMD_UPDATE_PERMISSION_DENIED",
    ),
}


@pytest.mark.parametrize("route", list(CASES))
def test_a_connection_without_a_record_gets_the_routes_own_refusal(
    stack: Stack, route: str
) -> None:
    # GIVEN a frame from a connection id the table does not know
    body, expected = CASES[route]
    event = ws_event(route, connection_id=CID, body=body)
    handler: Any = importlib.import_module(f"functions.{route}.app").lambda_handler
    # WHEN the route handles it
    response = handler(event, FakeLambdaContext(), app=stack.app)
    # THEN it answers the route's refusal on the request's channel, never UNAUTHORIZED
    frame = json.loads(response["body"])
    assert frame["event"] == "hotsock.error"
    assert frame["channel"] == "room"
    assert frame["error"]["code"] == expected
