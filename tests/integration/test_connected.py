"""ConnectedFunction: auto-subscribe frames follow `hotsock.connected` (§2.2 step 6)."""

from __future__ import annotations

from functions.connected.app import lambda_handler
from tests.support.channels import gateway, open_connection
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def test_auto_subscribe_after_connected(channel_stack: Stack) -> None:
    grants = {
        "notes": {"autoSubscribe": True, "alias": "n"},
        "presence.lobby": {"autoSubscribe": True},
        "blocked": {"autoSubscribe": True, "subscribe": False},
    }
    open_connection(channel_stack, "A", grants)
    event = {"connectionId": "A", "connectedAt": channel_stack.clock(), "requestId": "r"}
    assert lambda_handler(event, FakeLambdaContext(), app=channel_stack.app)["announced"]
    frames = gateway(channel_stack).frames["A"]
    assert frames[0]["event"] == "hotsock.connected"
    assert frames[1]["data"] == {"autoSubscribed": True}
    assert frames[1]["meta"]["channelAlias"] == "n"
    assert frames[2]["error"]["code"] == "PRESENCE_CHANNEL_USER_ID_REQUIRED"
    assert frames[2]["channel"] == "presence.lobby"
    assert frames[3]["error"]["code"] == "SUBSCRIBE_PERMISSION_DENIED"
    assert len(frames) == 4
