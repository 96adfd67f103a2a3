"""Stored messages and history (PROTOCOL §15, SERVER-API §4.2, §4.3) and the `resumeAfter`
extension (docs/extensions.md), on moto with a frozen clock."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.model import Connection, Origin
from opensock.domain.requests import ListMessagesRequest, ListReactionsRequest, ReactionFrame
from opensock.domain.stored_messages import id_millis, lowest_id
from opensock.edge import http_routes
from opensock.edge.http import HttpRequest
from opensock.edge.http_routes import ConnectionCall
from opensock.errors import AppError
from tests.reliability.kit import table_items
from tests.support.channels import count_dynamodb
from tests.support.fakes import FakeConnections, FrozenClock
from tests.support.stack import Stack
from tests.support.storage import open_connection

ROOM = "room.7"
MESSAGES = {"chat": {"publish": True, "store": 86400, "react": True}, "typing": {"publish": True}}
GRANTS = {"room.*": {"subscribe": True, "messages": MESSAGES}}
HISTORY = {"room.*": {"subscribe": True, "historyStart": 0, "messages": MESSAGES}}
WS = Origin("client.websocket", request_id="r-ws", connection_id="ann")
SERVER = Origin("server.lambda", request_id="r-srv")


@pytest.fixture
def rig(stack: Stack) -> Stack:
    stack.clock = FrozenClock()
    ann = open_connection(stack, "ann", GRANTS, uid="ann")
    stack.app.subscriptions.subscribe(ann, ROOM)
    return stack


def clock(stack: Stack) -> FrozenClock:
    return stack.clock  # type: ignore[return-value]


def sent(stack: Stack, cid: str) -> list[dict[str, Any]]:
    gateway: FakeConnections = stack.gateway  # type: ignore[assignment]
    return [f for f in gateway.frames[cid] if f["event"] != "hotsock.subscribed"]


def server(stack: Stack, data: Any, store: int = 86400, event: str = "news") -> None:
    payload = {"channel": ROOM, "event": event, "data": data, "store": store}
    stack.app.publishing.server_publish(payload, SERVER)


def joined(stack: Stack, cid: str, grants: Any = HISTORY, **options: Any) -> Connection:
    connection = open_connection(stack, cid, grants, uid=cid)
    stack.app.subscriptions.subscribe(connection, ROOM, **options)
    return connection


def listing(stack: Stack, connection: Connection, **body: Any) -> dict[str, Any]:
    request = ListMessagesRequest.model_validate({"channel": ROOM, **body})
    return stack.app.history.list_messages(connection, request)


def ids(page: dict[str, Any]) -> list[str]:
    return [message["id"] for message in page["messages"]]


def messages(stack: Stack) -> list[dict[str, Any]]:
    return [item for item in table_items(stack) if item["sk"].startswith("msg#")]


# --- storing ----------------------------------------------------------------------------------
def test_each_path_stores_with_its_origin_and_the_unstored_path_writes_nothing(rig: Stack) -> None:
    ann = rig.connections.get("ann")
    assert ann is not None
    rig.app.publishing.publish_from_socket("ann", {"event": "typing", "channel": ROOM}, WS)
    server(rig, {"v": 1}, store=0)
    assert messages(rig) == []
    rig.app.publishing.publish_from_socket("ann", {"event": "chat", "channel": ROOM}, WS)
    http = Origin("client.http", "r-http", "ann", "198.51.100.1", "curl/8")
    rig.app.publishing.publish(ann, {"event": "chat", "channel": ROOM, "data": 2}, http)
    server(rig, "forever", store=-1)
    ws_item, http_item, server_item = messages(rig)
    assert ws_item["trigger"] == "client.websocket" and ws_item["connectionId"] == "ann"
    assert ws_item["sourceIp"] == "203.0.113.9" and ws_item["uid"] == "ann"
    assert ws_item["expiresAt"] == int(clock(rig)()) + 86400
    assert http_item["trigger"] == "client.http" and http_item["userAgent"] == "curl/8"
    assert server_item["trigger"] == "server.lambda" and "expiresAt" not in server_item
    assert "uid" not in server_item and "connectionId" not in server_item


def test_a_stored_publish_is_one_put_more_and_no_read(rig: Stack) -> None:
    server(rig, 1, store=0)
    counter = count_dynamodb(rig)
    server(rig, 1, store=0)
    unstored = counter.by_operation()
    counter.calls.clear()
    server(rig, 1)
    assert counter.by_operation() == {**unstored, "PutItem": 1}


def test_schedules_keep_store(rig: Stack) -> None:
    from tests.support.storage import FakeScheduler

    scheduler = FakeScheduler()
    rig.scheduler = scheduler  # type: ignore[assignment]
    payload = {
        "channel": ROOM,
        "event": "news",
        "store": 60,
        "scheduleExpression": "at(2026-01-05T11:00:00)",
    }
    rig.app.publishing.server_publish(payload, SERVER)
    [(_, _, job)] = scheduler.schedules
    clock(rig).advance(3600)
    rig.app.scheduled.run(job)
    [item] = messages(rig)
    assert item["expiresAt"] == int(clock(rig)()) + 60 and item["trigger"] == "server.lambda"


# --- listMessages -----------------------------------------------------------------------------
def test_pages_ascending_and_reverse_across_the_100_boundary(rig: Stack) -> None:
    for n in range(150):
        server(rig, n)
    reader = joined(rig, "cy")
    first = listing(rig, reader)
    assert [m["data"] for m in first["messages"]] == list(range(100))
    assert first["messages"][0] == {
        "id": first["messages"][0]["id"],
        "event": "news",
        "channel": ROOM,
        "data": 0,
        "meta": {"uid": None, "umd": None},
    }
    second = listing(rig, reader, after=ids(first)[-1])
    assert [m["data"] for m in second["messages"]] == list(range(100, 150))
    newest = listing(rig, reader, reverse=True)
    assert [m["data"] for m in newest["messages"]] == list(range(149, 49, -1))
    older = listing(rig, reader, reverse=True, before=ids(newest)[-1])
    assert [m["data"] for m in older["messages"]] == list(range(49, -1, -1))
    # `before` is ignored ascending and `after` reversed
    assert ids(listing(rig, reader, before=ids(first)[5])) == ids(first)
    assert ids(listing(rig, reader, reverse=True, after=ids(first)[5])) == ids(newest)


def test_the_default_window_is_the_subscription_and_history_start_widens_it(rig: Stack) -> None:
    server(rig, "before")
    clock(rig).advance(10)
    plain = joined(rig, "dan", GRANTS)
    start = int(clock(rig)())
    clock(rig).advance(1)
    server(rig, "after")
    assert [m["data"] for m in listing(rig, plain)["messages"]] == ["after"]
    later = {"room.*": {**GRANTS["room.*"], "historyStart": start - 5}}
    since = joined(rig, "eve", later)
    assert [m["data"] for m in listing(rig, since)["messages"]] == ["before", "after"][1:]
    everything = joined(rig, "fay")
    assert [m["data"] for m in listing(rig, everything)["messages"]] == ["before", "after"]


def test_expired_messages_are_never_listed_whatever_the_ttl_lag(rig: Stack) -> None:
    server(rig, "short", store=1)
    server(rig, "long", store=60)
    reader = joined(rig, "cy")
    assert len(listing(rig, reader)["messages"]) == 2
    clock(rig).advance(1)
    assert [m["data"] for m in listing(rig, reader)["messages"]] == ["long"]
    assert len(messages(rig)) == 2  # still in the table: no TTL sweep happened


def test_reaction_aggregates_and_expanded_items(rig: Stack) -> None:
    server(rig, "plain")
    rig.app.publishing.publish_from_socket("ann", {"event": "chat", "channel": ROOM}, WS)
    chat = sent(rig, "ann") and messages(rig)[-1]["sk"].removeprefix("msg#")
    for cid, umd in (("u1", {"name": "One"}), ("u2", None)):
        connection = open_connection(rig, cid, GRANTS, uid=cid, umd=umd)
        rig.app.subscriptions.subscribe(connection, ROOM)
        frame = ReactionFrame(
            channel=ROOM, data={"messageId": chat, "reaction": "+1", "action": "add"}
        )
        rig.app.reactions.react_from_socket(cid, frame, WS)
    frame = ReactionFrame(
        channel=ROOM, data={"messageId": chat, "reaction": "heart", "action": "add"}
    )
    rig.app.reactions.react_from_socket("u2", frame, WS)
    reader = joined(rig, "cy")
    plain, reacted = listing(rig, reader)["messages"]
    assert "reactions" not in plain
    assert reacted["reactions"] == {"+1": {"count": 2}, "heart": {"count": 1}}
    plain, reacted = listing(rig, reader, expandReactions=True)["messages"]
    assert plain["reactions"] == {}
    assert reacted["reactions"] == {
        "+1": {"count": 2, "items": [{"uid": "u1", "umd": {"name": "One"}}, {"uid": "u2"}]},
        "heart": {"count": 1, "items": [{"uid": "u2"}]},
    }
    assert reacted["meta"] == {"uid": "ann", "umd": None}
    request = ListReactionsRequest(channel=ROOM, messageId=chat)
    assert rig.app.history.list_reactions(reader, request) == {
        "reactions": [
            {"reaction": "+1", "uid": "u1", "umd": {"name": "One"}},
            {"reaction": "+1", "uid": "u2"},
            {"reaction": "heart", "uid": "u2"},
        ]
    }
    # outside the window (a subscription made later, no historyStart): nothing is revealed
    clock(rig).advance(5)
    late = joined(rig, "gus", GRANTS)
    assert rig.app.history.list_reactions(late, request) == {"reactions": []}
    assert listing(rig, late)["messages"] == []


def test_a_page_stops_before_one_megabyte(rig: Stack) -> None:
    big = "x" * 30_000
    for _ in range(40):
        server(rig, big)
    reader = joined(rig, "cy")
    page = listing(rig, reader)
    assert len(page["messages"]) == 34  # 34 × ~30.1 KB fit in 1 MiB, 35 do not
    assert ids(listing(rig, reader, after=ids(page)[-1])) != []


def test_http_routes_parse_text_plain_bodies_and_refuse_bad_input(rig: Stack) -> None:
    server(rig, "hello")
    reader = joined(rig, "cy")

    def call(action: str, body: Any) -> tuple[int, Any]:
        request = HttpRequest("POST", ("connection", action), {}, {}, "")
        handler = http_routes.CONNECTION_ACTIONS[action]
        try:
            result = handler(ConnectionCall(reader, body, Origin("client.http"), request), rig.app)
        except AppError as err:
            return err.status, err.code
        return result.status, result.body

    status, body = call("listMessages", {"channel": ROOM})
    assert status == 200 and [m["data"] for m in body["messages"]] == ["hello"]
    assert call("listMessages", {"channel": ROOM, "after": "not-a-ulid"}) == (
        400,
        "INVALID_MESSAGE",
    )
    assert call("listMessages", {"channel": ROOM, "reverse": "yes"}) == (400, "INVALID_MESSAGE")
    assert call("listMessages", {"channel": "bad name"}) == (400, "INVALID_CHANNEL_NAME")
    assert call("listMessages", {"channel": "room.other"}) == (403, "NOT_SUBSCRIBED")
    assert call("listReactions", {"channel": ROOM}) == (400, "INVALID_MESSAGE")
    assert call("listReactions", {"channel": ROOM, "messageId": "0" * 26}) == (
        200,
        {"reactions": []},
    )


# --- resumeAfter ------------------------------------------------------------------------------
def test_resume_delivers_what_was_missed_then_hands_over_at_the_cutoff(rig: Stack) -> None:
    server(rig, "seen")
    last_seen = ids(listing(rig, joined(rig, "reader")))[-1]
    for n in range(3):
        server(rig, f"missed {n}")
    server(rig, "not stored", store=0)
    resumed = joined(rig, "back", resume_after=last_seen)
    assert [f.get("data") for f in sent(rig, "back")] == [f"missed {n}" for n in range(3)]
    sub = rig.subscriptions.get(ROOM, "back")
    assert sub is not None and sub.resume_until is not None
    assert id_millis(sub.resume_until) == int((clock(rig)() + 1.0) * 1000)
    # a stored message before the cutoff is left to the resume; after it, delivered live
    server(rig, "inside the hand-off")
    assert len(sent(rig, "back")) == 3
    clock(rig).advance(1.5)
    server(rig, "live")
    assert sent(rig, "back")[-1]["data"] == "live"
    # unstored messages are live at once (as for any subscription)
    rig.app.publishing.publish_from_socket("ann", {"event": "typing", "channel": ROOM}, WS)
    assert sent(rig, "back")[-1]["event"] == "typing"
    del resumed


def test_resume_sweeps_until_the_cutoff_has_settled(rig: Stack) -> None:
    server(rig, "seen")
    first = ids(listing(rig, joined(rig, "reader")))[-1]
    pending: list[str] = []

    def sleep(seconds: float) -> None:  # a publish lands while the resume waits
        clock(rig).advance(seconds)
        if not pending:
            pending.append("x")
            server(rig, "during the hand-off")

    rig.sleep = sleep  # type: ignore[assignment]
    joined(rig, "back", resume_after=first)
    assert [f["data"] for f in sent(rig, "back")] == ["during the hand-off"]


def test_resume_stops_after_a_thousand_with_an_error(rig: Stack) -> None:
    from opensock.domain.messages import Outgoing, new_message_id

    for n in range(1001):  # written directly: 1,001 publishes through fan-out take long on moto
        outgoing = Outgoing(ROOM, "news", n, store=-1)
        rig.messages.put(outgoing.stored(new_message_id(clock(rig)()), SERVER, clock(rig)()))
    joined(rig, "back", resume_after=lowest_id(0))
    frames = sent(rig, "back")
    assert [f["data"] for f in frames[:1000]] == list(range(1000))
    assert frames[1000]["event"] == "hotsock.error"
    assert frames[1000]["channel"] == ROOM
    assert frames[1000]["error"]["code"] == "RESUME_INCOMPLETE"
    assert "listMessages" in frames[1000]["error"]["message"]


def test_resume_is_bounded_by_the_history_window(rig: Stack) -> None:
    server(rig, "old")
    clock(rig).advance(5)
    joined(rig, "back", GRANTS, resume_after=lowest_id(0))
    assert sent(rig, "back") == []


def test_a_bad_resume_after_refuses_the_subscribe(rig: Stack) -> None:
    from functions.subscribe.app import lambda_handler
    from tests.support.events import ws_event
    from tests.support.fakes import FakeLambdaContext

    open_connection(rig, "back", HISTORY, uid="back")
    body = {"event": "hotsock.subscribe", "channel": ROOM, "data": {"resumeAfter": "x"}}
    event = ws_event("subscribe", connection_id="back", body=body)
    answer = lambda_handler(event, FakeLambdaContext(), rig.app)
    assert '"SUBSCRIBE_PERMISSION_DENIED"' in answer["body"] and "resumeAfter" in answer["body"]
    assert rig.subscriptions.get(ROOM, "back") is None
