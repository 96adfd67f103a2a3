"""Fuzzing the real handlers on moto: every frame is answered as the spec says, and a refused
frame changes nothing (table, frames posted, pub/sub, schedules).

Lower volume than the pure-layer fuzzing (each example is a full handler run plus two table
scans); plus one regression test per crash the fuzzing found.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opensock.app.client_frames import SILENT_EVENTS
from opensock.edge.websocket import parse_ws_event
from tests.reliability.drive import http, ws_raw
from tests.reliability.kit import NOW, decode, snapshot
from tests.reliability.strategies import events_for, frames, raw_bodies
from tests.support.calls import subscribe
from tests.support.channels import open_connection
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import ws_event
from tests.support.stack import Stack

PROFILE = settings.get_profile("opensock-reliability")
CID = "Fuzz1ConnAA="

# PROTOCOL §9.2 and Q-ERR: every code a WebSocket client may legitimately receive.
WS_CODES = frozenset(
    {
        "ALREADY_SUBSCRIBED", "NOT_SUBSCRIBED", "SUBSCRIBE_PERMISSION_DENIED",
        "INVALID_SUBSCRIBE_TOKEN", "PRESENCE_CHANNEL_USER_ID_REQUIRED",
        "PRESENCE_CHANNEL_CAPACITY_REACHED", "INVALID_MESSAGE", "UNKNOWN_EVENT",
        "INVALID_CHANNEL_NAME", "INVALID_EVENT_NAME", "DATA_TOO_LARGE",
        "PUBLISH_PERMISSION_DENIED", "SCHEDULE_PERMISSION_DENIED", "INVALID_SCHEDULE_EXPRESSION",
        "INVALID_STORAGE_KEY", "STORAGE_SET_PERMISSION_DENIED", "STORAGE_GET_PERMISSION_DENIED",
        "INVALID_UMD_TOKEN", "UMD_UPDATE_PERMISSION_DENIED", "INVALID_STORE",
    }
)  # fmt: skip
# SERVER-API §2.8 / §4.1
HTTP_CODES = WS_CODES | {
    "UNAUTHORIZED",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "GET_INFO_PERMISSION_DENIED",
}
ANSWERS = {
    "default": {"hotsock.pong"},
    "subscribe": set(),
    "unsubscribe": {"hotsock.unsubscribed"},
    "channel_storage_set": set(),
    "channel_storage_get": {"hotsock.channelStorageData"},
    "umd_update": set(),
}
EXAMPLES = dict.fromkeys(ANSWERS, 80) | {"raw": 120, "publish_http": 80, "http_api": 100}
GRANTS = {
    "room": {
        "subscribe": True,
        "umdUpdate": True,
        "messages": {"chat": {"publish": True, "scheduleBefore": NOW + 86_400}},
        "storage": {
            "k": {"set": True, "get": True, "observe": True, "scheduleBefore": NOW + 86_400}
        },
    },
    "presence.lobby": {"subscribe": True},
}


@pytest.fixture
def member(rel_stack: Stack) -> Any:
    connection = open_connection(rel_stack, CID, GRANTS, uid="fuzzer")
    subscribe(connection, "room", rel_stack)
    return connection


class State:
    """The state after the previous example: the next example's "before" (one scan each)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.last = snapshot(stack)

    def advance(self) -> tuple[dict[str, Any], dict[str, Any]]:
        before, self.last = self.last, snapshot(self.stack)
        return before, self.last


def expected_reply(route: str, event: dict[str, Any]) -> str:
    """`reply`: the route must answer in its body; `silent`: it must not; `either`: a
    fire-and-forget request (publish, storage set, umd update) answers only a refusal;
    `posted`: a subscribe answers a refusal, or posts `hotsock.subscribed` instead."""
    if route in ("unsubscribe", "channel_storage_get"):
        return "reply"
    if route == "subscribe":
        return "posted"
    if route != "default":
        return "either"
    body = parse_ws_event(event).body  # what the route sees (base64 decoded, JSON parsed)
    name = body.get("event") if isinstance(body, dict) else None
    if name in SILENT_EVENTS:
        return "silent"
    if not isinstance(name, str) or not name or name.startswith("hotsock."):
        return "reply"  # a pong, or INVALID_MESSAGE / UNKNOWN_EVENT
    return "either"  # a client publish


def check_ws_answer(state: State, route: str, event: dict[str, Any]) -> None:
    posted = len(state.stack.gateway.frames[CID])
    expected = expected_reply(route, event)
    response = ws_raw(state.stack, route, event)
    before, after = state.advance()
    assert response["statusCode"] == 200
    frame = decode(response)
    if frame is None:  # no reply is right only where the spec says so
        assert expected in ("silent", "either", "posted"), (expected, event.get("body"))
        if expected == "posted":
            new = state.stack.gateway.frames[CID][posted:]
            assert [f["event"] for f in new[:1]] == ["hotsock.subscribed"], new
        return
    assert expected != "silent", frame
    if frame["event"] != "hotsock.error":
        assert frame["event"] in ANSWERS[route], frame
        if route == "default":  # a ping's answer is a pong, and only a ping gets one
            assert isinstance(parse_ws_event(event).body, dict)
            assert parse_ws_event(event).body["event"] == "hotsock.ping"
        return
    assert frame["error"]["code"] in WS_CODES, frame
    assert after == before


def run_examples(route: str, strategy: st.SearchStrategy[Any], check: Any) -> None:
    seen: list[int] = []

    @settings(PROFILE, max_examples=EXAMPLES[route])
    @given(strategy)
    def run(value: Any) -> None:
        seen.append(1)
        check(value)

    run()
    assert len(seen) >= EXAMPLES[route] * 0.9


ROUTE_EVENTS = {
    "default": events_for("chat", "hotsock.ping", "hotsock.pong", "hotsock.heartbeat"),
    "subscribe": events_for("hotsock.subscribe"),
    "unsubscribe": events_for("hotsock.unsubscribe"),
    "channel_storage_set": events_for("hotsock.channelStorageSet"),
    "channel_storage_get": events_for("hotsock.channelStorageGet"),
    "umd_update": events_for("hotsock.umdUpdate"),
}


# Frames every run checks first: the derandomized examples rarely build a well-formed one
# (a ping, say), and a route that stops answering those must fail here.
SEEDS: dict[str, list[Any]] = {
    "default": [
        {"event": "hotsock.ping"},
        {"event": "hotsock.pong"},
        {"event": "hotsock.heartbeat"},
        {"event": "chat", "channel": "room", "data": 1},
        {"event": "chat", "channel": "nope"},
        {"event": "hotsock.nope"},
        {"event": ""},
        [],
    ],
    "subscribe": [
        {"event": "hotsock.subscribe", "channel": "presence.lobby"},
        {"event": "hotsock.subscribe", "channel": "room"},
        {"event": "hotsock.subscribe", "channel": "nope"},
    ],
    "unsubscribe": [
        {"event": "hotsock.unsubscribe", "channel": "nope"},
        {"event": "hotsock.unsubscribe", "channel": "room"},
    ],
    "channel_storage_set": [
        {"event": "hotsock.channelStorageSet", "channel": "room", "key": "k", "data": 1},
        {"event": "hotsock.channelStorageSet", "channel": "room", "key": "x", "data": 1},
    ],
    "channel_storage_get": [
        {"event": "hotsock.channelStorageGet", "channel": "room", "key": "k"},
        {"event": "hotsock.channelStorageGet", "channel": "room", "key": "x"},
    ],
    "umd_update": [{"event": "hotsock.umdUpdate", "channel": "room", "data": {"token": "t"}}],
}


@pytest.mark.parametrize("route", list(ANSWERS))
def test_route_answers_every_frame(rel_stack: Stack, member: Any, route: str) -> None:
    state = State(rel_stack)

    def check(body: Any) -> None:
        event = ws_event(route, connection_id=CID, raw_body=json.dumps(body))
        check_ws_answer(state, route, event)

    for body in SEEDS[route]:
        check(body)
    run_examples(route, frames(ROUTE_EVENTS[route]), check)


def test_default_answers_any_raw_text(rel_stack: Stack, member: Any) -> None:
    state = State(rel_stack)

    def check(pair: tuple[str, bool]) -> None:
        raw, as_base64 = pair
        event = ws_event("default", connection_id=CID, raw_body=raw)
        if as_base64:
            event["body"] = base64.b64encode(raw.encode("utf-8", "surrogatepass")).decode()
            event["isBase64Encoded"] = True
        check_ws_answer(state, "default", event)

    for raw in ('{"event":"hotsock.ping"}', '{"event":"hotsock.heartbeat"}', "{", ""):
        check((raw, False))
        check((raw, True))
    run_examples("raw", st.tuples(raw_bodies, st.booleans()), check)


def test_publish_url_answers_any_body(rel_stack: Stack, member: Any) -> None:
    state = State(rel_stack)

    def check(raw: str) -> None:
        status, reply, _ = http(
            rel_stack,
            "/publish",
            raw_body=raw,
            authorization=f"Bearer {PUBLISH_API_KEY}",
            function="functions.publish.app",
        )
        before, after = state.advance()
        if status == 202:
            return
        assert reply["error"]["code"] in HTTP_CODES, reply
        assert status < 500
        assert after == before

    strategy = st.one_of(
        frames(events_for("chat", "hotsock.channelStorageSet")).map(json.dumps), raw_bodies
    )
    run_examples("publish_http", strategy, check)


def test_client_http_api_answers_any_body(rel_stack: Stack, member: Any) -> None:
    actions = st.sampled_from(
        [
            "publishMessage",
            "channelStorageGet",
            "channelStorageSet",
            "channelStorageList",
            "umdUpdate",
        ]
    )
    creds = {"connectionId": CID, "connectionSecret": member.secret}

    state = State(rel_stack)

    def check(pair: tuple[str, str]) -> None:
        action, raw = pair
        status, reply, _ = http(rel_stack, f"/connection/{action}", raw_body=raw, query=creds)
        before, after = state.advance()
        if status in {200, 202}:
            return
        assert reply["error"]["code"] in HTTP_CODES, reply
        assert status < 500
        assert after == before

    body = st.one_of(frames(events_for("chat")).map(json.dumps), raw_bodies)
    run_examples("http_api", st.tuples(actions, body), check)


# --- regressions found by the fuzzing --------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000,
        '{"event":"chat","channel":"room","data":' + "[" * 3000 + "]" * 3000 + "}",
        '{"event":"chat","channel":"room","data":"\\ud800"}',
        '{"event":"chat","channel":"room","data":{"token":"\\udfff"}}',
        '{"event":"\\ud800","channel":"room"}',
    ],
    ids=["deep array", "deep data", "lone high surrogate", "lone low surrogate", "surrogate event"],
)
def test_default_refuses_unparseable_frames_with_invalid_message(
    rel_stack: Stack, member: Any, raw: str
) -> None:
    before = snapshot(rel_stack)
    response = ws_raw(rel_stack, "default", ws_event("default", connection_id=CID, raw_body=raw))
    frame = decode(response)
    assert frame is not None
    assert (frame["event"], frame["error"]["code"]) == ("hotsock.error", "INVALID_MESSAGE")
    assert snapshot(rel_stack) == before


def test_a_valid_surrogate_pair_is_still_delivered(rel_stack: Stack, member: Any) -> None:
    raw = '{"event":"chat","channel":"room","data":"\\ud83d\\ude00"}'
    response = ws_raw(rel_stack, "default", ws_event("default", connection_id=CID, raw_body=raw))
    assert response == {"statusCode": 200}


@pytest.mark.parametrize(
    ("expression", "timezone"),
    [
        ("at(0001-01-01T00:00:00)", "Asia/Tokyo"),
        ("at(9999-12-31T23:59:59)", "America/New_York"),
        ("at(2030-01-01T00:00:00)", "America"),
        ("at(2030-01-01T00:00:00)", "Etc"),
    ],
)
def test_server_publish_refuses_impossible_schedules(
    rel_stack: Stack, member: Any, expression: str, timezone: str
) -> None:
    body = {
        "channel": "room",
        "event": "chat",
        "scheduleExpression": expression,
        "scheduleExpressionTimezone": timezone,
    }
    status, reply, _ = http(
        rel_stack,
        "/publish",
        body,
        authorization=f"Bearer {PUBLISH_API_KEY}",
        function="functions.publish.app",
    )
    assert (status, reply["error"]["code"]) == (400, "INVALID_SCHEDULE_EXPRESSION")


@pytest.mark.parametrize(
    "raw", ["[" * 5000, '{"channel":"room","key":"k","data":"\\ud800"}'], ids=["deep", "surrogate"]
)
def test_client_http_api_refuses_unparseable_bodies(
    rel_stack: Stack, member: Any, raw: str
) -> None:
    creds = {"connectionId": CID, "connectionSecret": member.secret}
    status, reply, _ = http(rel_stack, "/connection/channelStorageSet", raw_body=raw, query=creds)
    assert (status, reply["error"]["code"]) == (400, "INVALID_MESSAGE")


def test_server_publish_invoke_refuses_a_lone_surrogate(rel_stack: Stack) -> None:
    from tests.reliability.drive import handler
    from tests.support.fakes import FakeLambdaContext

    payload = json.loads('{"channel":"room","event":"chat","data":"\\ud800"}')
    result = handler("functions.publish.app")(payload, FakeLambdaContext(), app=rel_stack.app)
    assert result["error"]["code"] == "INVALID_MESSAGE"
