"""UnsubscribeFunction against moto: round trip, alias, NOT_SUBSCRIBED, presence leave."""

from __future__ import annotations

from typing import Any

import pytest

from functions.unsubscribe.app import lambda_handler
from opensock.jsoncodec import loads
from tests.support.calls import subscribe
from tests.support.channels import count_dynamodb, gateway, open_connection, pubsub
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


def call(stack: Stack, cid: str, channel: str) -> dict[str, Any]:
    body = {"event": "hotsock.unsubscribe", "channel": channel}
    event = ws_event("unsubscribe", connection_id=cid, body=body)
    response: dict[str, Any] = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    result: dict[str, Any] = loads(response["body"])
    return result


def test_unsubscribe_by_alias_returns_real_name(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "A", {"notes-u1": {"subscribe": True, "alias": "n"}})
    subscribe(conn, "n", channel_stack)
    reply = call(channel_stack, "A", "n")
    assert reply == {
        "event": "hotsock.unsubscribed",
        "channel": "notes-u1",
        "data": {},
        "meta": {"channelAlias": "n", "uid": None, "umd": None},
    }
    assert channel_stack.subscriptions.get("notes-u1", "A") is None
    types = [e["type"] for e in pubsub(channel_stack).envelopes]
    assert types[-2:] == ["hotsock.unsubscribed", "hotsock.channelUpdated"]
    assert pubsub(channel_stack).envelopes[-1]["data"]["subscriptionsCount"] == 0


def test_not_subscribed(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {"x": {"subscribe": True}})
    reply = call(channel_stack, "A", "x")
    assert reply["error"]["code"] == "NOT_SUBSCRIBED"
    assert reply["channel"] == "x"


def test_presence_member_removed_only_after_last_subscription(channel_stack: Stack) -> None:
    grants = {"presence.r": {"subscribe": True}}
    for cid, uid in (("A1", "ana"), ("A2", "ana"), ("B", "ben")):
        subscribe(open_connection(channel_stack, cid, grants, uid=uid), "presence.r", channel_stack)
    call(channel_stack, "A1", "presence.r")
    assert gateway(channel_stack).events("B") == ["hotsock.subscribed"]
    call(channel_stack, "A2", "presence.r")
    last = gateway(channel_stack).frames["B"][-1]
    assert last["event"] == "hotsock.memberRemoved"
    assert last["data"] == {
        "member": {"uid": "ana", "umd": None},
        "members": [{"uid": "ben", "umd": None}],
    }


def test_endless_conflicts_never_answer_an_unknown_code(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opensock.errors import ConflictError

    # GIVEN a presence subscription whose leave transaction always loses its race
    sleeps: list[float] = []
    channel_stack.sleep = sleeps.append
    conn = open_connection(channel_stack, "A", {"presence.p": {"subscribe": True}}, uid="a")
    subscribe(conn, "presence.p", channel_stack)

    def busy(*_: Any) -> bool:
        raise ConflictError("presence member changed")

    monkeypatch.setattr(channel_stack.members, "leave", busy)
    # WHEN the connection unsubscribes
    reply = call(channel_stack, "A", "presence.p")
    # THEN the retries backed off, and the answer is the infrastructure-failure code the
    # WebSocket edge already uses (NOT_SUBSCRIBED would tell hotsock-js a falsehood), never
    # the project-local CONFLICT
    assert len(sleeps) == 11
    assert reply["error"]["code"] == "INTERNAL_ERROR"
    assert reply["channel"] == "presence.p"
    assert channel_stack.subscriptions.get("presence.p", "A") is not None


def test_omit_from_sub_count_emits_no_channel_updated(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "A", {"x": {"subscribe": True, "omitFromSubCount": True}})
    subscribe(conn, "x", channel_stack)
    call(channel_stack, "A", "x")
    types = [e["type"] for e in pubsub(channel_stack).envelopes]
    assert types == ["hotsock.subscribed", "hotsock.unsubscribed"]


def test_request_counts(channel_stack: Stack) -> None:
    conn = open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")
    subscribe(conn, "std", channel_stack)
    subscribe(conn, "presence.p", channel_stack)
    counter = count_dynamodb(channel_stack)
    call(channel_stack, "A", "std")
    standard = counter.by_operation()
    counter.calls.clear()
    call(channel_stack, "A", "presence.p")
    print("unsubscribe standard", standard, "presence", counter.by_operation())
    assert sum(standard.values()) == 3
