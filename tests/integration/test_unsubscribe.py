"""UnsubscribeFunction against moto: round trip, alias, NOT_SUBSCRIBED, presence leave."""

from __future__ import annotations

from typing import Any

from functions.unsubscribe.app import lambda_handler
from opensock.app.subscriptions import subscribe
from opensock.jsoncodec import loads
from opensock.wiring import Services
from tests.support.channels import count_dynamodb, gateway, open_connection, pubsub
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext


def call(services: Services, cid: str, channel: str) -> dict[str, Any]:
    body = {"event": "hotsock.unsubscribe", "channel": channel}
    event = ws_event("unsubscribe", connection_id=cid, body=body)
    response: dict[str, Any] = lambda_handler(event, FakeLambdaContext(), services=services)
    result: dict[str, Any] = loads(response["body"])
    return result


def test_unsubscribe_by_alias_returns_real_name(channel_services: Services) -> None:
    conn = open_connection(channel_services, "A", {"notes-u1": {"subscribe": True, "alias": "n"}})
    subscribe(conn, "n", channel_services)
    reply = call(channel_services, "A", "n")
    assert reply == {
        "event": "hotsock.unsubscribed",
        "channel": "notes-u1",
        "data": {},
        "meta": {"channelAlias": "n", "uid": None, "umd": None},
    }
    assert channel_services.subscriptions.get("notes-u1", "A") is None
    types = [e["type"] for e in pubsub(channel_services).envelopes]
    assert types[-2:] == ["hotsock.unsubscribed", "hotsock.channelUpdated"]
    assert pubsub(channel_services).envelopes[-1]["data"]["subscriptionsCount"] == 0


def test_not_subscribed(channel_services: Services) -> None:
    open_connection(channel_services, "A", {"x": {"subscribe": True}})
    reply = call(channel_services, "A", "x")
    assert reply["error"]["code"] == "NOT_SUBSCRIBED"
    assert reply["channel"] == "x"


def test_presence_member_removed_only_after_last_subscription(channel_services: Services) -> None:
    grants = {"presence.r": {"subscribe": True}}
    for cid, uid in (("A1", "ana"), ("A2", "ana"), ("B", "ben")):
        subscribe(
            open_connection(channel_services, cid, grants, uid=uid), "presence.r", channel_services
        )
    call(channel_services, "A1", "presence.r")
    assert gateway(channel_services).events("B") == ["hotsock.subscribed"]
    call(channel_services, "A2", "presence.r")
    last = gateway(channel_services).frames["B"][-1]
    assert last["event"] == "hotsock.memberRemoved"
    assert last["data"] == {
        "member": {"uid": "ana", "umd": None},
        "members": [{"uid": "ben", "umd": None}],
    }


def test_omit_from_sub_count_emits_no_channel_updated(channel_services: Services) -> None:
    conn = open_connection(
        channel_services, "A", {"x": {"subscribe": True, "omitFromSubCount": True}}
    )
    subscribe(conn, "x", channel_services)
    call(channel_services, "A", "x")
    types = [e["type"] for e in pubsub(channel_services).envelopes]
    assert types == ["hotsock.subscribed", "hotsock.unsubscribed"]


def test_request_counts(channel_services: Services) -> None:
    conn = open_connection(channel_services, "A", {"*": {"subscribe": True}}, uid="a")
    subscribe(conn, "std", channel_services)
    subscribe(conn, "presence.p", channel_services)
    counter = count_dynamodb(channel_services)
    call(channel_services, "A", "std")
    standard = counter.by_operation()
    counter.calls.clear()
    call(channel_services, "A", "presence.p")
    print("unsubscribe standard", standard, "presence", counter.by_operation())
    assert sum(standard.values()) == 3
