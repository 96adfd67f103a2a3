"""DefaultFunction: client publish over the WebSocket (§7.3), echo, broadcast, scheduling."""

from __future__ import annotations

from typing import Any

import pytest

from functions.default.app import lambda_handler
from opensock.jsoncodec import loads
from tests.support.calls import subscribe
from tests.support.channels import count_dynamodb, gateway, open_connection, pubsub
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def send(stack: Stack, cid: str, body: Any) -> dict[str, Any]:
    event = ws_event("default", connection_id=cid, body=body)
    response: dict[str, Any] = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    return loads(response["body"]) if "body" in response else {}


def room(stack: Stack, messages: dict[str, Any]) -> None:
    for cid, uid in (("A", "ana"), ("B", "ben")):
        conn = open_connection(
            stack, cid, {"room": {"subscribe": True, "messages": messages}}, uid=uid
        )
        subscribe(conn, "room", stack)


def test_publish_with_meta_echo_off_by_default(channel_stack: Stack) -> None:
    room(channel_stack, {"chat": {"publish": True}})
    assert send(channel_stack, "A", {"event": "chat", "channel": "room", "data": "hi"}) == {}
    frame = gateway(channel_stack).frames["B"][-1]
    assert frame["event"] == "chat"
    assert frame["data"] == "hi"
    assert frame["meta"] == {"uid": "ana", "umd": None}
    assert gateway(channel_stack).events("A")[-1] != "chat"


def test_echo_when_granted(channel_stack: Stack) -> None:
    room(channel_stack, {"chat": {"publish": True, "echo": True, "emitPubSubEvent": True}})
    send(channel_stack, "A", {"event": "chat", "channel": "room"})
    assert gateway(channel_stack).frames["A"][-1]["data"] is None
    event = pubsub(channel_stack).of_type("hotsock.messagePublished")[0]
    assert event["metadata"]["trigger"] == "client.websocket"
    assert event["metadata"]["connectionId"] == "A"
    assert event["data"]["meta"] == {"uid": "ana", "umd": None}
    # the connection's values from connect, not the message event's (S §5.7)
    assert (event["metadata"]["userAgent"], event["metadata"]["sourceIp"]) == (
        "pytest",
        "203.0.113.9",
    )


def test_request_id_is_the_lambda_invocations(channel_stack: Stack) -> None:
    # GIVEN a publish that emits messagePublished
    room(channel_stack, {"chat": {"publish": True, "emitPubSubEvent": True}})
    # WHEN DefaultFunction accepts it
    send(channel_stack, "A", {"event": "chat", "channel": "room"})
    # THEN requestId is the id of that Lambda invocation (S §5.7), not API Gateway's
    event = pubsub(channel_stack).of_type("hotsock.messagePublished")[0]
    assert event["metadata"]["requestId"] == FakeLambdaContext.aws_request_id


def test_broadcast_without_subscription(channel_stack: Stack) -> None:
    room(channel_stack, {})
    open_connection(channel_stack, "X", {"room": {"messages": {"t": {"broadcast": True}}}})
    assert send(channel_stack, "X", {"event": "t", "channel": "room"}) == {}
    assert gateway(channel_stack).events("A")[-1] == "t"


def test_publish_denied(channel_stack: Stack) -> None:
    room(channel_stack, {"chat": {"publish": False, "broadcast": True}})
    reply = send(channel_stack, "A", {"event": "chat", "channel": "room"})
    assert reply["error"]["code"] == "PUBLISH_PERMISSION_DENIED"
    assert reply["channel"] == "room"


def test_scheduling_needs_schedule_before(channel_stack: Stack) -> None:
    later = int(channel_stack.clock()) + 3600
    room(channel_stack, {"r": {"publish": True, "scheduleBefore": later}})
    body = {"event": "r", "channel": "room", "scheduleExpression": "at(2099-01-01T00:00:00)"}
    assert send(channel_stack, "A", body)["error"]["code"] == "SCHEDULE_PERMISSION_DENIED"
    body["scheduleExpression"] = "at(2026-01-05T10:30:00)"
    assert send(channel_stack, "A", body) == {}
    payload = channel_stack.scheduler.schedules[0][2]  # type: ignore[attr-defined]
    assert payload["request"]["exclude_connection_id"] == "A"
    assert payload["origin"]["trigger"] == "client.websocket"


def test_request_counts(channel_stack: Stack) -> None:
    room(channel_stack, {"chat": {"publish": True}})
    counter = count_dynamodb(channel_stack)
    send(channel_stack, "A", {"event": "chat", "channel": "room"})
    print("client publish", counter.by_operation())
    # the connection and its subscription in one (eventually consistent) BatchGetItem, then
    # the fan-out Query
    assert counter.by_operation() == {"BatchGetItem": 1, "Query": 1}


def lagging_reads(stack: Stack, monkeypatch: pytest.MonkeyPatch, hidden: str) -> list[bool]:
    """Eventually consistent BatchGetItems do not see items whose sort key starts with
    `hidden` yet (a replica behind); returns each BatchGetItem's ConsistentRead."""
    client = stack.subscriptions.client
    real = client.batch_get_item
    consistency: list[bool] = []

    def batch_get_item(**kwargs: Any) -> Any:
        ((table, request),) = kwargs["RequestItems"].items()
        consistency.append(bool(request["ConsistentRead"]))
        response = real(**kwargs)
        if not request["ConsistentRead"]:
            items = response["Responses"][table]
            response["Responses"][table] = [i for i in items if not i["sk"]["S"].startswith(hidden)]
        return response

    monkeypatch.setattr(client, "batch_get_item", batch_get_item)
    return consistency


@pytest.mark.parametrize("hidden", ["sub#", "conn"])
def test_a_just_written_item_an_eventual_read_misses_is_read_again(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch, hidden: str
) -> None:
    # GIVEN a room where only subscribers may publish, and reads that miss A's new item
    room(channel_stack, {"chat": {"publish": True}})
    consistency = lagging_reads(channel_stack, monkeypatch, hidden)
    # WHEN A publishes
    reply = send(channel_stack, "A", {"event": "chat", "channel": "room", "data": "hi"})
    # THEN the missing item was read again strongly consistent, and the message went out
    assert consistency == [False, True]
    assert reply == {}
    assert gateway(channel_stack).frames["B"][-1]["data"] == "hi"


def test_a_publish_whose_items_are_all_seen_reads_once_eventually(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    room(channel_stack, {"chat": {"publish": True}})
    consistency = lagging_reads(channel_stack, monkeypatch, hidden="-")
    send(channel_stack, "A", {"event": "chat", "channel": "room"})
    assert consistency == [False]


def test_a_publish_from_a_connection_not_subscribed_is_still_refused(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN X, not subscribed to a room where only subscribers may publish
    room(channel_stack, {"chat": {"publish": True}})
    open_connection(channel_stack, "X", {"room": {"messages": {"chat": {"publish": True}}}})
    consistency = lagging_reads(channel_stack, monkeypatch, hidden="-")
    # WHEN it publishes: its subscription is missing from the eventual read, then for good
    reply = send(channel_stack, "X", {"event": "chat", "channel": "room"})
    # THEN the consistent read confirmed it, and the answer is the one it always was
    assert consistency == [False, True]
    assert reply["error"]["code"] == "PUBLISH_PERMISSION_DENIED"


def test_a_recipient_gone_is_pruned_by_the_publish(channel_stack: Stack) -> None:
    # GIVEN A and B in the room, B's socket closed without `$disconnect` (410 on posts)
    room(channel_stack, {"chat": {"publish": True}})
    gateway(channel_stack).gone.add("B")
    # WHEN A publishes
    assert send(channel_stack, "A", {"event": "chat", "channel": "room"}) == {}
    # THEN B is cleaned up as `$disconnect` would: record, subscription, count
    assert channel_stack.connections.get("B") is None
    assert channel_stack.subscriptions.get("room", "B") is None
    assert channel_stack.channel_meta.subscriptions_count("room") == 1
