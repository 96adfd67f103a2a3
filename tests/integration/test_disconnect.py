"""DisconnectFunction: every subscription removed, members told, pub/sub emitted."""

from __future__ import annotations

from functions.disconnect.app import lambda_handler
from opensock.app.subscriptions import subscribe
from opensock.wiring import Services
from tests.support.channels import gateway, open_connection, pubsub
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext


def test_disconnect_removes_subscriptions_and_tells_members(channel_services: Services) -> None:
    grants = {"presence.r": {"subscribe": True}, "std": {"subscribe": True}}
    leaver = open_connection(channel_services, "L", grants, uid="leo")
    stay = open_connection(channel_services, "S", grants, uid="sam")
    for conn in (leaver, stay):
        subscribe(conn, "presence.r", channel_services)
    subscribe(leaver, "std", channel_services)
    event = ws_event("disconnect", connection_id="L")
    lambda_handler(event, FakeLambdaContext(), services=channel_services)
    assert channel_services.subscriptions.list_for_connection("L") == []
    assert gateway(channel_services).events("S")[-1] == "hotsock.memberRemoved"
    types = [e["type"] for e in pubsub(channel_services).envelopes]
    assert types[-1] == "hotsock.disconnected"
    assert types.count("hotsock.unsubscribed") == 2
    assert "hotsock.memberRemoved" in types


def test_subscribe_racing_disconnect_leaves_no_orphan(channel_services: Services) -> None:
    conn = open_connection(channel_services, "R", {"c": {"subscribe": True}})
    channel_services.connections.delete("R")
    assert subscribe(conn, "c", channel_services) is None
    assert channel_services.subscriptions.get("c", "R") is None
    assert gateway(channel_services).events("R") == []
