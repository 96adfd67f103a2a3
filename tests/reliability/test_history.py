"""History and reactions under hostile input and races (issue #14): bad message ids on every
input that takes one, pages at their byte cap, reactions on unstored and expired messages, and
the same reaction added and removed concurrently (the count never goes negative or double)."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.messages import Outgoing, new_message_id
from opensock.domain.model import Origin
from tests.reliability.drive import http, ws
from tests.reliability.kit import snapshot, table_items
from tests.reliability.test_races import concurrently, serialized_moto  # noqa: F401
from tests.support.fakes import FakeConnections, FrozenClock
from tests.support.stack import Stack
from tests.support.storage import open_connection

ROOM = "room.r"
GRANTS = {
    "room.*": {
        "subscribe": True,
        "historyStart": 0,
        "messages": {
            "chat": {"publish": True, "store": 60, "react": True, "echo": True},
            "typing": {"publish": True, "react": True, "echo": True},
            "hotsock.messageReaction": {"echo": True},
        },
    }
}
WS = Origin("client.websocket", request_id="rel")
BAD_IDS: list[Any] = [
    "",
    "0" * 25,
    "0" * 27,
    "8" + "0" * 25,  # past the 48-bit timestamp
    "I" * 26,  # not Crockford base32
    "01KE6Y1Z7V4T2H3K5M8N9P0QR!",
    "０" * 26,  # full-width digits
    "\ud800" * 26,
    26,
    ["01KE6Y1Z7V4T2H3K5M8N9P0QRS"],
    {"id": "01KE6Y1Z7V4T2H3K5M8N9P0QRS"},
    True,
]


@pytest.fixture
def room(rel_stack: Stack) -> Stack:
    for cid in ("ann", "bob"):
        connection = open_connection(rel_stack, cid, GRANTS, uid=cid)
        rel_stack.app.subscriptions.subscribe(connection, ROOM)
    return rel_stack


def credentials(cid: str) -> dict[str, str]:
    return {"connectionId": cid, "connectionSecret": "s3cret"}


def publish(stack: Stack, event: str = "chat") -> str:
    stack.app.publishing.publish_from_socket("ann", {"event": event, "channel": ROOM}, WS)
    gateway: FakeConnections = stack.gateway  # type: ignore[assignment]
    message_id: str = gateway.frames["ann"][-1]["id"]  # ann echoes nothing but this
    return message_id


@pytest.mark.parametrize("bad", BAD_IDS, ids=range(len(BAD_IDS)))
def test_bad_message_ids_are_refused_everywhere_and_change_nothing(room: Stack, bad: Any) -> None:
    message_id = publish(room)
    before = snapshot(room)
    path, query = "/connection/listMessages", credentials("bob")
    for body in ({"channel": ROOM, "after": bad}, {"channel": ROOM, "before": bad}):
        status, answer, _ = http(room, path, body, query=query)
        assert (status, answer["error"]["code"]) == (400, "INVALID_MESSAGE"), body
    body = {"channel": ROOM, "messageId": bad}
    status, answer, _ = http(room, "/connection/listReactions", body, query=query)
    assert (status, answer["error"]["code"]) == (400, "INVALID_MESSAGE")
    data = {"messageId": bad, "reaction": "+1", "action": "add"}
    frame = {"event": "hotsock.messageReaction", "channel": ROOM, "data": data}
    _, refusal = ws(room, "message_reaction", frame, cid="bob")
    assert refusal is not None and refusal["error"]["code"] == "INVALID_MESSAGE"
    subscribe = {
        "event": "hotsock.subscribe",
        "channel": "room.other",
        "data": {"resumeAfter": bad},
    }
    _, refusal = ws(room, "subscribe", subscribe, cid="bob")
    assert refusal is not None and refusal["error"]["code"] == "SUBSCRIBE_PERMISSION_DENIED"
    assert refusal["channel"] == "room.other"
    assert snapshot(room) == before
    del message_id


def test_a_page_of_huge_messages_stays_under_one_megabyte(room: Stack) -> None:
    now = room.clock()
    data = "€" * 10_900  # 32,700 bytes of UTF-8: just under the 32 KiB cap
    for _ in range(100):
        stored = Outgoing(ROOM, "chat", data, store=-1).stored(new_message_id(now), WS, now)
        room.messages.put(stored)
    query = credentials("bob")
    after: str | None = None
    seen = 0
    while True:
        body = {"channel": ROOM, **({"after": after} if after else {})}
        status, answer, response = http(room, "/connection/listMessages", body, query=query)
        assert status == 200
        assert len(response["body"].encode()) <= 1024 * 1024
        if not answer["messages"]:
            break
        seen += len(answer["messages"])
        after = answer["messages"][-1]["id"]
    assert seen == 100


def test_reactions_on_unstored_expired_or_foreign_messages_are_not_found(room: Stack) -> None:
    clock: FrozenClock = room.clock  # type: ignore[assignment]
    typing = publish(room, "typing")  # react is granted, but it was never stored
    chat = publish(room)
    clock.advance(60)  # chat's TTL has passed; no sweeper ran
    before = snapshot(room)
    for target in (typing, chat, new_message_id(clock())):
        for action in ("add", "remove"):
            data = {"messageId": target, "reaction": "+1", "action": action}
            frame = {"event": "hotsock.messageReaction", "channel": ROOM, "data": data}
            _, refusal = ws(room, "message_reaction", frame, cid="bob")
            assert refusal is not None and refusal["error"]["code"] == "MESSAGE_NOT_FOUND"
            query = credentials("bob")
            body = {**frame, "event": "hotsock.messageReaction"}
            status, answer, _ = http(room, "/connection/publishMessage", body, query=query)
            assert (status, answer["error"]["code"]) == (404, "MESSAGE_NOT_FOUND")
    assert snapshot(room) == before


def test_racing_adds_and_removes_never_go_negative_or_double(
    serialized_moto: Stack,  # noqa: F811
) -> None:
    stack = serialized_moto
    users = [f"u{n}" for n in range(6)]
    for cid in ["ann", *users]:
        connection = open_connection(stack, cid, GRANTS, uid=cid)
        stack.app.subscriptions.subscribe(connection, ROOM)
    message_id = publish(stack)
    gateway: FakeConnections = stack.gateway  # type: ignore[assignment]
    start = len(gateway.frames["ann"])

    def react(cid: str, action: str) -> Any:
        data = {"messageId": message_id, "reaction": "+1", "action": action}
        frame = {"event": "hotsock.messageReaction", "channel": ROOM, "data": data}
        return lambda: ws(stack, "message_reaction", frame, cid=cid)[1]

    # every user adds twice and removes once, all at the same instant, twice over
    for _ in range(2):
        tasks = [react(cid, a) for cid in users for a in ("add", "add", "remove")]
        assert all(answer is None for answer in concurrently(tasks))
        events = gateway.frames["ann"][start:]
        added = sum(f["event"] == "hotsock.messageReactionAdded" for f in events)
        removed = sum(f["event"] == "hotsock.messageReactionRemoved" for f in events)
        items = [i for i in table_items(stack) if i["sk"].startswith("rxn#")]
        # each user holds 0 or 1 reaction; the frames tell exactly that story
        assert 0 <= len(items) <= len(users)
        assert added - removed == len(items)
        status, answer, _ = http(
            stack,
            "/connection/listMessages",
            {"channel": ROOM},
            query=credentials("ann"),
        )
        reactions = answer["messages"][0].get("reactions", {})
        assert status == 200 and reactions.get("+1", {"count": 0})["count"] == len(items)
