"""ConnectedFunction: auto-subscribe frames follow `hotsock.connected` (§2.2 step 6)."""

from __future__ import annotations

import pytest

from functions.connected.app import lambda_handler
from tests.support.channels import gateway, open_connection, vanish_after_read
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


def test_an_auto_subscribe_racing_the_disconnect_leaves_nothing(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a connection whose record `$disconnect` deletes right after ConnectedFunction read it
    open_connection(channel_stack, "A", {"notes": {"autoSubscribe": True}})
    vanish_after_read(channel_stack, monkeypatch)
    # WHEN ConnectedFunction announces it and auto-subscribes
    event = {"connectionId": "A", "connectedAt": channel_stack.clock(), "requestId": "r"}
    lambda_handler(event, FakeLambdaContext(), app=channel_stack.app)
    # THEN the auto-subscription, written before the connection's claim failed, is gone again
    assert channel_stack.subscriptions.get("notes", "A") is None
    assert channel_stack.channel_meta.subscriptions_count("notes") == 0
    assert [frame["event"] for frame in gateway(channel_stack).frames["A"]] == ["hotsock.connected"]
