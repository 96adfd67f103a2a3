"""DisconnectFunction: every subscription removed, members told, pub/sub emitted."""

from __future__ import annotations

from functions.disconnect.app import lambda_handler
from tests.support.calls import subscribe
from tests.support.channels import gateway, open_connection, pubsub
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def test_disconnect_removes_subscriptions_and_tells_members(channel_stack: Stack) -> None:
    grants = {"presence.r": {"subscribe": True}, "std": {"subscribe": True}}
    leaver = open_connection(channel_stack, "L", grants, uid="leo")
    stay = open_connection(channel_stack, "S", grants, uid="sam")
    for conn in (leaver, stay):
        subscribe(conn, "presence.r", channel_stack)
    subscribe(leaver, "std", channel_stack)
    event = ws_event("disconnect", connection_id="L")
    lambda_handler(event, FakeLambdaContext(), app=channel_stack.app)
    assert channel_stack.subscriptions.list_for_connection("L") == []
    assert gateway(channel_stack).events("S")[-1] == "hotsock.memberRemoved"
    types = [e["type"] for e in pubsub(channel_stack).envelopes]
    assert types[-1] == "hotsock.disconnected"
    assert types.count("hotsock.unsubscribed") == 2
    assert "hotsock.memberRemoved" in types


def test_subscribe_racing_disconnect_leaves_no_orphan(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "R", {"c": {"subscribe": True}})
    channel_stack.connections.delete("R")
    assert subscribe(conn, "c", channel_stack) is None
    assert channel_stack.subscriptions.get("c", "R") is None
    assert gateway(channel_stack).events("R") == []
