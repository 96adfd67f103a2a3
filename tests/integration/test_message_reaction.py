"""MessageReactionFunction (`hotsock.messageReaction`, PROTOCOL §7.7, §16), reactions through
`connection/publishMessage` and the server publish (SERVER-API §2.6, §4.4), and their pub/sub
events (§5.6–§5.8). Every refusal has the spec's code and writes nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from functions.message_reaction.app import lambda_handler
from opensock.domain.model import Connection, Origin
from tests.reliability.kit import table_items
from tests.support.events import ws_event
from tests.support.fakes import FakeConnections, FakeLambdaContext, FakePublisher, FrozenClock
from tests.support.stack import Stack
from tests.support.storage import open_connection

ROOM = "room.42"
HEART, THUMBS = "❤️", "👍"
GRANTS = {
    "room.*": {
        "subscribe": True,
        "messages": {
            "chat": {"publish": True, "store": 86400, "react": [HEART, THUMBS]},
            "note": {"publish": True, "store": 60, "react": True, "emitPubSubEvent": True},
            "typing": {"publish": True},
            "hotsock.messageReaction": {"echo": True},
        },
    }
}
NO_ECHO = {"room.*": {**GRANTS["room.*"], "messages": {**GRANTS["room.*"]["messages"]}}}
NO_ECHO["room.*"]["messages"]["hotsock.messageReaction"] = {"echo": False}
WS = Origin("client.websocket", request_id="req-1")


@pytest.fixture
def rig(stack: Stack) -> Stack:
    stack.clock = FrozenClock()
    ann = open_connection(stack, "ann", GRANTS, uid="ann", umd={"name": "Ann"})
    bob = open_connection(stack, "bob", NO_ECHO, uid="bob")
    for connection in (ann, bob):
        stack.app.subscriptions.subscribe(connection, ROOM)
    return stack


def frames(stack: Stack, connection_id: str) -> list[dict[str, Any]]:
    gateway: FakeConnections = stack.gateway  # type: ignore[assignment]
    return [f for f in gateway.frames[connection_id] if f["event"] != "hotsock.subscribed"]


def publish(stack: Stack, event: str = "chat", data: Any = "hi") -> str:
    body = {"event": event, "channel": ROOM, "data": data}
    stack.app.publishing.publish_from_socket("ann", body, WS)
    message_id: str = frames(stack, "bob")[-1]["id"]
    return message_id


def react(
    stack: Stack,
    cid: str,
    message_id: str,
    reaction: str = HEART,
    action: str = "add",
    **extra: Any,
) -> dict[str, Any] | None:
    data = {"messageId": message_id, "reaction": reaction, "action": action}
    body = {"event": "hotsock.messageReaction", "channel": ROOM, "data": data, **extra}
    event = ws_event("message_reaction", connection_id=cid, body=body)
    result = lambda_handler(event, FakeLambdaContext(), stack.app)
    return json.loads(result["body"]) if "body" in result else None  # type: ignore[no-any-return]


def reaction_items(stack: Stack) -> list[dict[str, Any]]:
    return [item for item in table_items(stack) if item["sk"].startswith("rxn#")]


def test_add_fans_out_to_others_and_echoes_only_with_the_echo_key(rig: Stack) -> None:
    message_id = publish(rig)
    # WHEN bob (no echo) adds a heart
    assert react(rig, "bob", message_id) is None
    # THEN ann gets the Added frame with bob as meta; bob gets nothing
    added = frames(rig, "ann")[-1]
    assert added == {
        "id": added["id"],
        "event": "hotsock.messageReactionAdded",
        "channel": ROOM,
        "data": {"messageId": message_id, "reaction": HEART, "action": "add"},
        "meta": {"uid": "bob", "umd": None},
    }
    assert len(added["id"]) == 26 and added["id"] > message_id
    assert frames(rig, "bob")[-1]["id"] == message_id
    # WHEN ann (echo on the hotsock.messageReaction key) adds a thumbs-up, THEN both get it
    react(rig, "ann", message_id, THUMBS)
    assert frames(rig, "ann")[-1]["data"]["reaction"] == THUMBS
    assert frames(rig, "bob")[-1]["meta"] == {"uid": "ann", "umd": {"name": "Ann"}}


def test_remove_fans_out_removed_and_duplicates_are_silent(rig: Stack) -> None:
    message_id = publish(rig)
    react(rig, "bob", message_id)
    before = len(frames(rig, "ann"))
    # a duplicate add and a remove of an absent value change nothing and send nothing
    assert react(rig, "bob", message_id) is None
    assert react(rig, "bob", message_id, THUMBS, "remove") is None
    assert len(frames(rig, "ann")) == before
    assert len(reaction_items(rig)) == 1
    # WHEN bob removes the heart, THEN ann gets Removed with its own id
    react(rig, "bob", message_id, HEART, "remove")
    removed = frames(rig, "ann")[-1]
    assert removed["event"] == "hotsock.messageReactionRemoved"
    assert removed["data"] == {"messageId": message_id, "reaction": HEART, "action": "remove"}
    assert removed["meta"] == {"uid": "bob", "umd": None}
    assert reaction_items(rig) == []


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("x", "INVALID_REACTION"),
        ({"messageId": "nope", "reaction": HEART, "action": "add"}, "INVALID_MESSAGE"),
        ({"messageId": "01KE6Y1Z7V4T2H3K5M8N9P0QRS", "reaction": "", "action": "add"}, None),
        ({"messageId": "01KE6Y1Z7V4T2H3K5M8N9P0QRS", "reaction": "a#b", "action": "add"}, None),
        ({"messageId": "01KE6Y1Z7V4T2H3K5M8N9P0QRS", "reaction": "x" * 101, "action": "add"}, None),
        ({"messageId": "01KE6Y1Z7V4T2H3K5M8N9P0QRS", "reaction": HEART, "action": "toggle"}, None),
    ],
)
def test_malformed_reactions_are_refused(rig: Stack, data: Any, code: str | None) -> None:
    body = {"event": "hotsock.messageReaction", "channel": ROOM, "data": data}
    event = ws_event("message_reaction", connection_id="bob", body=body)
    answer = json.loads(lambda_handler(event, FakeLambdaContext(), rig.app)["body"])
    assert answer["event"] == "hotsock.error" and answer["channel"] == ROOM
    assert answer["error"]["code"] == (code or "INVALID_REACTION")


def test_refusals_have_their_codes_and_write_nothing(rig: Stack) -> None:
    chat = publish(rig)
    typing = publish(rig, "typing")
    # not in the allow-list, react not granted on the target's event, unstored, unknown id
    cases = [
        (chat, "🎉", "REACTION_PERMISSION_DENIED"),
        (typing, HEART, "MESSAGE_NOT_FOUND"),
        ("01KE6Y1Z7V4T2H3K5M8N9P0QRS", HEART, "MESSAGE_NOT_FOUND"),
    ]
    for message_id, value, code in cases:
        answer = react(rig, "bob", message_id, value)
        assert answer is not None and answer["error"]["code"] == code, (value, answer)
    # a connection without uid, and one that is not subscribed
    open_connection(rig, "anon", GRANTS)
    rig.app.subscriptions.subscribe(rig.connections.get("anon"), ROOM)  # type: ignore[arg-type]
    assert react(rig, "anon", chat)["error"]["code"] == "USER_ID_REQUIRED"  # type: ignore[index]
    open_connection(rig, "outsider", GRANTS, uid="out")
    refusal = react(rig, "outsider", chat)
    assert refusal["error"]["code"] == "REACTION_PERMISSION_DENIED"  # type: ignore[index]
    assert reaction_items(rig) == []


def test_expired_target_is_not_found_before_any_ttl_sweep(rig: Stack) -> None:
    message_id = publish(rig, "note")
    rig.clock.advance(61)  # type: ignore[attr-defined]
    assert react(rig, "bob", message_id)["error"]["code"] == "MESSAGE_NOT_FOUND"  # type: ignore[index]


def test_reaction_expires_with_its_message_and_emits_pubsub_on_the_target_event(
    rig: Stack,
) -> None:
    publisher: FakePublisher = rig.pubsub  # type: ignore[assignment]
    note = publish(rig, "note")
    react(rig, "bob", note, "🎉")
    react(rig, "bob", note, "🎉", "remove")
    added, removed = publisher.of_type("hotsock.messageReactionAdded") + publisher.of_type(
        "hotsock.messageReactionRemoved"
    )
    assert added["dataType"] == "messageReaction"
    assert added["data"]["messageId"] == note and added["data"]["uid"] == "bob"
    assert added["data"]["expiresAt"] == "2026-01-05T10:01:00Z"
    assert added["data"]["createdAt"] == "2026-01-05T10:00:00.000Z"
    assert removed["data"] == added["data"]
    assert added["metadata"]["connectionId"] == "bob"
    assert added["metadata"]["trigger"] == "client.websocket"
    assert added["metadata"]["reaction"] == "🎉"
    # chat has no emitPubSubEvent: nothing more
    chat = publish(rig)
    react(rig, "bob", chat)
    assert len(publisher.of_type("hotsock.messageReactionAdded")) == 1
    [item] = reaction_items(rig)
    assert item["expiresAt"] == int(rig.clock()) + 86400


def test_http_publish_message_reaction(rig: Stack) -> None:
    message_id = publish(rig)
    bob: Connection = rig.connections.get("bob")  # type: ignore[assignment]
    body = {"event": "hotsock.messageReaction", "channel": ROOM}
    data = {"messageId": message_id, "reaction": THUMBS, "action": "add"}
    http = Origin("client.http", connection_id="bob")
    result = rig.app.publishing.publish(bob, {**body, "data": data}, http)
    assert result.to_json() == {"channel": ROOM, "event": "hotsock.messageReaction"}
    assert frames(rig, "ann")[-1]["event"] == "hotsock.messageReactionAdded"
    outsider = open_connection(rig, "outsider", GRANTS, uid="out")
    with pytest.raises(Exception) as refused:
        rig.app.publishing.publish(outsider, {**body, "data": data}, http)
    assert getattr(refused.value, "code", None) == "NOT_SUBSCRIBED"


def test_server_reactions_need_a_uid_and_a_live_target(rig: Stack) -> None:
    publisher: FakePublisher = rig.pubsub  # type: ignore[assignment]
    message_id = publish(rig)
    server = Origin("server.lambda", request_id="srv-1")
    payload = {
        "channel": ROOM,
        "event": "hotsock.messageReaction",
        "data": {"messageId": message_id, "reaction": "+1", "action": "add", "uid": "mod"},
        "emitPubSubEvent": True,
    }
    assert rig.app.publishing.server_publish(payload, server) == {
        "channel": ROOM,
        "event": "hotsock.messageReaction",
    }
    for cid in ("ann", "bob"):
        frame = frames(rig, cid)[-1]
        assert frame["data"] == {"messageId": message_id, "reaction": "+1", "action": "add"}
        assert frame["meta"] == {"uid": "mod", "umd": None}
    [event] = publisher.of_type("hotsock.messageReactionAdded")
    assert "connectionId" not in event["metadata"]
    assert event["metadata"]["trigger"] == "server.lambda"
    missing_uid = {**payload, "data": {**payload["data"], "uid": ""}}  # type: ignore[dict-item]
    for bad, code in (
        (missing_uid, "INVALID_REACTION"),
        ({**payload, "data": {**payload["data"], "messageId": "0" * 26}}, "MESSAGE_NOT_FOUND"),  # type: ignore[dict-item]
    ):
        with pytest.raises(Exception) as refused:
            rig.app.publishing.server_publish(bad, server)
        assert getattr(refused.value, "code", None) == code


def test_a_reaction_to_a_message_whose_write_has_not_landed_yet_still_counts(
    rig: Stack, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a message whose frame arrived before its item is readable (it is stored while its
    # posts are in flight): the reaction's batch read does not find it
    message_id = publish(rig)
    reader = rig.client_reader
    original = reader.read

    def before_the_write(*args: Any, **kwargs: Any) -> Any:
        return replace(original(*args, **kwargs), message=None)

    monkeypatch.setattr(reader, "read", before_the_write)
    # WHEN bob reacts at once
    reply = react(rig, "bob", message_id)
    # THEN the target is read again after a short wait, and the reaction counts
    assert reply is None
    assert len(sleeps) == 1 and len(reaction_items(rig)) == 1
    assert frames(rig, "ann")[-1]["event"] == "hotsock.messageReactionAdded"


def test_a_long_missing_target_is_not_waited_for(rig: Stack, sleeps: list[float]) -> None:
    # GIVEN a message id from ten seconds ago that was never stored
    message_id = publish(rig, event="typing")
    rig.clock.advance(10)  # type: ignore[attr-defined]
    # WHEN a reaction names it, THEN MESSAGE_NOT_FOUND at once
    reply = react(rig, "bob", message_id)
    assert reply is not None and reply["error"]["code"] == "MESSAGE_NOT_FOUND"
    assert sleeps == [] and reaction_items(rig) == []


def test_a_recent_missing_target_is_read_again_then_refused(
    rig: Stack, sleeps: list[float]
) -> None:
    message_id = publish(rig, event="typing")  # not stored (no `store`)
    reply = react(rig, "bob", message_id)
    assert reply is not None and reply["error"]["code"] == "MESSAGE_NOT_FOUND"
    assert len(sleeps) == 5 and sum(sleeps) < 0.5


def test_a_recipient_gone_is_pruned_by_the_reaction(rig: Stack) -> None:
    # GIVEN ann's socket closed without `$disconnect` (410 on posts)
    message_id = publish(rig)
    gateway: FakeConnections = rig.gateway  # type: ignore[assignment]
    gateway.gone.add("ann")
    # WHEN bob reacts
    assert react(rig, "bob", message_id) is None
    # THEN ann is cleaned up as `$disconnect` would: record, subscription, count
    assert rig.connections.get("ann") is None
    assert rig.subscriptions.get(ROOM, "ann") is None
    assert rig.channel_meta.subscriptions_count(ROOM) == 1
