"""UmdUpdateFunction and `connection/umdUpdate` against moto (PROTOCOL §7.6, §12; S §4.9)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.http_api.app import lambda_handler as http_handler
from functions.umd_update.app import lambda_handler
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.model import Origin
from opensock.jsoncodec import loads
from tests.support.calls import client_publish, subscribe
from tests.support.channels import count_dynamodb, gateway, open_connection, pubsub
from tests.support.events import load_event, ws_event
from tests.support.fakes import FakeLambdaContext, FrozenClock
from tests.support.stack import Stack
from tests.support.tokens import mint

PRESENCE = {"presence.*": {"subscribe": True}}
CHAT = "presence.chat"


def umd_token(stack: Stack, scope: str = "umd", **claims: Any) -> str:
    return mint(claims, scope=scope, now=stack.clock())


def call(stack: Stack, cid: str, token: str, channel: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"event": "hotsock.umdUpdate", "data": {"token": token}}
    if channel is not None:
        body["channel"] = channel
    event = ws_event("umd_update", connection_id=cid, body=body)
    response: dict[str, Any] = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    return loads(response["body"]) if "body" in response else {}


def http(stack: Stack, cid: str, body: Any) -> tuple[int, Any]:
    event = load_event("http_api")
    event["rawPath"] = "/connection/umdUpdate"
    secret = stack.connections.get(cid)
    event["queryStringParameters"] = {
        "connectionId": cid,
        "connectionSecret": secret.secret if secret else "",
    }
    event["body"] = json.dumps(body)
    response = http_handler(event, FakeLambdaContext(), app=stack.app)
    return response["statusCode"], json.loads(response["body"])


def join(stack: Stack, cid: str, uid: str, channel: str = CHAT, **kw: Any) -> None:
    connection = open_connection(stack, cid, kw.pop("grants", PRESENCE), uid=uid, **kw)
    subscribe(connection, channel, stack)


def umd_of(stack: Stack, channel: str, cid: str) -> Any:
    sub = stack.subscriptions.get(channel, cid)
    assert sub is not None
    return sub.umd


def member_frames(stack: Stack, cid: str) -> list[dict[str, Any]]:
    frames = gateway(stack).frames[cid]
    return [f for f in frames if f["event"] == "hotsock.memberUpdated"]


@pytest.fixture
def jim_and_dwight(channel_stack: Stack, clock: FrozenClock) -> Stack:
    join(channel_stack, "JIM", "jim", umd={"name": "Jim"})
    clock.advance(1)
    join(channel_stack, "DWIGHT", "dwight")
    pubsub(channel_stack).envelopes.clear()
    return channel_stack


def test_per_channel_update_sends_member_updated_to_all(jim_and_dwight: Stack) -> None:
    stack = jim_and_dwight
    # GIVEN a umd token allowing umdUpdate on presence.chat
    token = umd_token(
        stack, uid="dwight", umd={"status": "away"}, channels={CHAT: {"umdUpdate": True}}
    )
    # WHEN Dwight sends a per-channel update
    reply = call(stack, "DWIGHT", token, CHAT)
    # THEN no acknowledgement; both members (updater included) get memberUpdated
    assert reply == {}
    expected = {
        "event": "hotsock.memberUpdated",
        "channel": CHAT,
        "data": {
            "member": {"uid": "dwight", "umd": {"status": "away"}},
            "members": [
                {"uid": "jim", "umd": {"name": "Jim"}},
                {"uid": "dwight", "umd": {"status": "away"}},
            ],
        },
    }
    assert member_frames(stack, "JIM") == [expected]
    assert member_frames(stack, "DWIGHT") == [expected]
    assert umd_of(stack, CHAT, "DWIGHT") == {"status": "away"}
    connection = stack.connections.get("DWIGHT")
    assert connection is not None and connection.umd is None
    [event] = pubsub(stack).envelopes
    assert event["type"] == "hotsock.memberUpdated"
    assert event["data"] == {
        "uid": "dwight",
        "umd": {"status": "away"},
        "members": expected["data"]["members"],  # type: ignore[index]
    }


def test_identical_update_sends_nothing(jim_and_dwight: Stack) -> None:
    # GIVEN Jim's umd is already {"name": "Jim"} (key order differs in the token)
    token = umd_token(
        jim_and_dwight, uid="jim", umd={"name": "Jim"}, channels={"presence.*": {"umdUpdate": True}}
    )
    # WHEN he updates to the same value
    assert call(jim_and_dwight, "JIM", token, CHAT) == {}
    # THEN no member event at all (Q-PRES-4)
    assert member_frames(jim_and_dwight, "DWIGHT") == []
    assert pubsub(jim_and_dwight).envelopes == []


@pytest.mark.parametrize(
    ("claims", "scope", "code"),
    [
        ({"uid": "dwight", "umd": 1}, "umd", "UMD_UPDATE_PERMISSION_DENIED"),
        (
            {"uid": "dwight", "umd": 1, "channels": {"presence.*": {"umdUpdate": False}}},
            "umd",
            "UMD_UPDATE_PERMISSION_DENIED",
        ),
        (
            {
                "uid": "dwight",
                "umd": 1,
                "umdUpdate": True,
                "channels": {"other": {"umdUpdate": True}},
            },
            "umd",
            "UMD_UPDATE_PERMISSION_DENIED",
        ),
        (
            {"connectionId": "JIM", "channels": {CHAT: {"umdUpdate": True}}},
            "umd",
            "INVALID_UMD_TOKEN",
        ),
        ({"uid": "jim", "channels": {CHAT: {"umdUpdate": True}}}, "umd", "INVALID_UMD_TOKEN"),
        (
            {"uid": "dwight", "channels": {CHAT: {"umdUpdate": True}}},
            "connect",
            "INVALID_UMD_TOKEN",
        ),
        (
            {"uid": "dwight", "channels": {CHAT: {"umdUpdate": True}}},
            "subscribe",
            "INVALID_UMD_TOKEN",
        ),
        (
            {"uid": "dwight", "umd": "x" * 1100, "channels": {CHAT: {"umdUpdate": True}}},
            "umd",
            "INVALID_UMD_TOKEN",
        ),
    ],
)
def test_refusals_change_nothing(
    jim_and_dwight: Stack, claims: dict[str, Any], scope: str, code: str
) -> None:
    token = umd_token(jim_and_dwight, scope, **claims)
    reply = call(jim_and_dwight, "DWIGHT", token, CHAT)
    assert reply["event"] == "hotsock.error"
    assert (reply["channel"], reply["error"]["code"]) == (CHAT, code)
    assert umd_of(jim_and_dwight, CHAT, "DWIGHT") is None
    assert member_frames(jim_and_dwight, "JIM") == []
    assert pubsub(jim_and_dwight).envelopes == []


def test_expired_and_malformed_tokens(jim_and_dwight: Stack) -> None:
    stack = jim_and_dwight
    claims = {"uid": "dwight", "channels": {CHAT: {"umdUpdate": True}}}
    expired = mint(claims, scope="umd", now=stack.clock() - 7200)
    for token in (expired, "not-a-jwt"):
        reply = call(stack, "DWIGHT", token, CHAT)
        assert reply["error"]["code"] == "INVALID_UMD_TOKEN"
    assert call(stack, "DWIGHT", 42, CHAT)["error"]["code"] == "INVALID_MESSAGE"  # type: ignore[arg-type]
    assert member_frames(stack, "JIM") == []


def test_not_subscribed_is_permission_denied_on_websocket(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", PRESENCE, uid="a")
    token = umd_token(channel_stack, uid="a", umd=1, channels={"*": {"umdUpdate": True}})
    reply = call(channel_stack, "A", token, "presence.nowhere")
    assert reply["error"]["code"] == "UMD_UPDATE_PERMISSION_DENIED"
    assert reply["channel"] == "presence.nowhere"
    # THEN no record was created (v1.13.2)
    assert channel_stack.subscriptions.get("presence.nowhere", "A") is None
    assert channel_stack.members.members("presence.nowhere") == []


def test_standard_channel_update_and_later_messages(channel_stack: Stack) -> None:
    grants = {"room": {"subscribe": True, "messages": {"say": {"publish": True}}}}
    join(channel_stack, "A", "a", "room", grants=grants)
    join(channel_stack, "B", "b", "room", grants=grants)
    token = umd_token(
        channel_stack, uid="a", umd={"mood": "ok"}, channels={"room": {"umdUpdate": True}}
    )
    assert call(channel_stack, "A", token, "room") == {}
    # THEN no frame on a standard channel, and later messages carry the new umd
    assert gateway(channel_stack).events("B") == ["hotsock.subscribed"]
    connection = channel_stack.connections.get("A")
    assert connection is not None
    body = {"channel": "room", "event": "say", "data": 1}
    client_publish(connection, body, Origin("client.websocket"), channel_stack)
    assert gateway(channel_stack).frames["B"][-1]["meta"] == {"uid": "a", "umd": {"mood": "ok"}}


def test_alias_resolves_and_missing_umd_is_null(channel_stack: Stack) -> None:
    grants = {"presence.team-1": {"subscribe": True, "alias": "team"}}
    join(channel_stack, "A", "a", "team", grants=grants, umd={"x": 1})
    token = umd_token(channel_stack, uid="a", channels={"presence.team-1": {"umdUpdate": True}})
    assert call(channel_stack, "A", token, "team") == {}
    assert umd_of(channel_stack, "presence.team-1", "A") is None  # Q-UMD-2
    [frame] = member_frames(channel_stack, "A")
    assert frame["data"]["member"] == {"uid": "a", "umd": None}


def test_connection_update_without_propagate(channel_stack: Stack) -> None:
    join(channel_stack, "A", "a", umd={"v": 0})
    token = umd_token(channel_stack, connectionId="A", umd={"v": 1}, umdUpdate=True)
    assert call(channel_stack, "A", token) == {}
    # THEN the connection changed, existing subscriptions kept their umd, one connectionUpdated
    assert umd_of(channel_stack, CHAT, "A") == {"v": 0}
    connection = channel_stack.connections.get("A")
    assert connection is not None and connection.umd == {"v": 1}
    [event] = pubsub(channel_stack).of_type("hotsock.connectionUpdated")
    assert (event["data"]["id"], event["data"]["umd"]) == ("A", {"v": 1})
    assert pubsub(channel_stack).of_type("hotsock.memberUpdated") == []
    # WHEN the same value is sent again THEN no second connectionUpdated
    call(channel_stack, "A", token)
    assert len(pubsub(channel_stack).of_type("hotsock.connectionUpdated")) == 1
    # AND a later implicit subscription inherits the new umd
    subscribe(connection, "presence.later", channel_stack)
    assert umd_of(channel_stack, "presence.later", "A") == {"v": 1}


def test_connection_update_requires_claim(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {}, uid="a", umd=0)
    token = umd_token(channel_stack, uid="a", umd=1, umdPropagate=True)
    reply = call(channel_stack, "A", token)
    assert reply["error"]["code"] == "UMD_UPDATE_PERMISSION_DENIED"
    assert "channel" not in reply
    connection = channel_stack.connections.get("A")
    assert connection is not None and connection.umd == 0


def test_propagate_rewrites_every_subscription(channel_stack: Stack, clock: FrozenClock) -> None:
    # GIVEN A on two presence channels (one explicit, via a subscribe token) and a standard one
    join(channel_stack, "A", "a", grants={"*": {"subscribe": True}})
    connection = channel_stack.connections.get("A")
    assert connection is not None
    sub_token = mint(
        {"connectionId": "A", "umd": {"own": True}}, scope="subscribe", now=channel_stack.clock()
    )
    subscribe(connection, "presence.two", channel_stack, token=sub_token)
    subscribe(connection, "std", channel_stack)
    clock.advance(1)
    join(channel_stack, "B", "b", "presence.two")
    pubsub(channel_stack).envelopes.clear()
    # WHEN a connection-level update with umdPropagate
    token = umd_token(channel_stack, uid="a", umd="busy", umdUpdate=True, umdPropagate=True)
    assert call(channel_stack, "A", token) == {}
    # THEN every subscription (explicit too, Q-UMD-3) is rewritten, memberUpdated per channel
    for channel in (CHAT, "presence.two", "std"):
        assert umd_of(channel_stack, channel, "A") == "busy"
    assert [f["channel"] for f in member_frames(channel_stack, "A")] == [CHAT, "presence.two"]
    assert member_frames(channel_stack, "B")[0]["data"]["members"] == [
        {"uid": "a", "umd": "busy"},
        {"uid": "b", "umd": None},
    ]
    types = sorted(e["type"] for e in pubsub(channel_stack).envelopes)
    assert types == ["hotsock.connectionUpdated"] + ["hotsock.memberUpdated"] * 2


def test_propagate_refused_at_capacity_changes_nothing(channel_stack: Stack) -> None:
    join(channel_stack, "A", "a", grants={"*": {"subscribe": True}})
    join(channel_stack, "A2", "a", "presence.full")
    connection = channel_stack.connections.get("A")
    assert connection is not None
    subscribe(connection, "presence.full", channel_stack)
    pubsub(channel_stack).envelopes.clear()
    channel_stack.members.limit = 60  # 2 small members fit, a bigger umd does not
    token = umd_token(
        channel_stack, uid="a", umd={"k": "v" * 40}, umdUpdate=True, umdPropagate=True
    )
    reply = call(channel_stack, "A", token)
    assert (reply["error"]["code"], reply["channel"]) == (
        "PRESENCE_CHANNEL_CAPACITY_REACHED",
        CHAT,
    )
    for channel in (CHAT, "presence.full"):
        assert umd_of(channel_stack, channel, "A") is None
    stored = channel_stack.connections.get("A")
    assert stored is not None and stored.umd is None
    assert pubsub(channel_stack).envelopes == []
    assert member_frames(channel_stack, "A") == []


def test_per_channel_capacity_and_single_use(jim_and_dwight: Stack) -> None:
    stack = jim_and_dwight
    claims: dict[str, Any] = {
        "uid": "dwight",
        "singleUse": True,
        "jti": "once",
        "channels": {CHAT: {"umdUpdate": True}},
    }
    stack.members.limit = 80
    big = umd_token(stack, **claims, umd={"k": "v" * 100})
    assert call(stack, "DWIGHT", big, CHAT)["error"]["code"] == "PRESENCE_CHANNEL_CAPACITY_REACHED"
    assert umd_of(stack, CHAT, "DWIGHT") is None
    # THEN the refused single-use token was not consumed; its first success consumes it
    stack.members.limit = 102_400
    assert call(stack, "DWIGHT", big, CHAT) == {}
    again = call(stack, "DWIGHT", big, CHAT)
    assert again["error"]["code"] == "INVALID_UMD_TOKEN"


def test_http_umd_update(jim_and_dwight: Stack) -> None:
    stack = jim_and_dwight
    good = umd_token(stack, uid="dwight", umd=2, channels={CHAT: {"umdUpdate": True}})
    assert http(stack, "DWIGHT", {"token": good, "channel": CHAT}) == (200, {})
    assert umd_of(stack, CHAT, "DWIGHT") == 2
    assert len(member_frames(stack, "JIM")) == 1
    wide = umd_token(stack, uid="dwight", channels={"presence.*": {"umdUpdate": True}})
    status, body = http(stack, "DWIGHT", {"token": wide, "channel": "presence.x"})
    assert (status, body["error"]["code"]) == (403, "NOT_SUBSCRIBED")
    status, body = http(stack, "DWIGHT", {"token": "junk"})
    assert (status, body["error"]["code"]) == (400, "INVALID_UMD_TOKEN")
    status, body = http(stack, "DWIGHT", {"token": good})
    assert (status, body["error"]["code"]) == (403, "UMD_UPDATE_PERMISSION_DENIED")
    status, body = http(stack, "DWIGHT", {"channel": CHAT})
    assert (status, body["error"]["code"]) == (400, "INVALID_MESSAGE")
    stack.members.limit = 10
    big = umd_token(stack, uid="dwight", umd="x" * 50, channels={CHAT: {"umdUpdate": True}})
    status, body = http(stack, "DWIGHT", {"token": big, "channel": CHAT})
    assert (status, body["error"]["code"]) == (409, "PRESENCE_CHANNEL_CAPACITY_REACHED")


def test_same_uid_on_two_devices_shows_latest(channel_stack: Stack) -> None:
    join(channel_stack, "PHONE", "ana", umd="phone")
    join(channel_stack, "LAPTOP", "ana", umd="laptop")
    token = umd_token(
        channel_stack, connectionId="PHONE", umd="phone-2", channels={CHAT: {"umdUpdate": True}}
    )
    call(channel_stack, "PHONE", token, CHAT)
    frame = member_frames(channel_stack, "LAPTOP")[-1]
    assert frame["data"]["members"] == [{"uid": "ana", "umd": "phone-2"}]
    assert len(pubsub(channel_stack).of_type("hotsock.memberUpdated")) == 2  # join + update


def test_request_counts(jim_and_dwight: Stack) -> None:
    stack = jim_and_dwight
    token = umd_token(stack, uid="dwight", umd=3, channels={CHAT: {"umdUpdate": True}})
    counter = count_dynamodb(stack)
    call(stack, "DWIGHT", token, CHAT)
    # GetItem connection + GetItem subscription + Query members + one transaction + fan-out Query
    assert counter.by_operation() == {"GetItem": 2, "Query": 2, "TransactWriteItems": 1}


@pytest.mark.parametrize("presence_channels", [1, 4])
def test_request_counts_propagated(channel_stack: Stack, presence_channels: int) -> None:
    # GIVEN a connection on K presence channels and one standard channel
    join(channel_stack, "A", "a", "std", grants={"*": {"subscribe": True}})
    connection = channel_stack.connections.get("A")
    assert connection is not None
    for index in range(presence_channels):
        subscribe(connection, f"presence.{index}", channel_stack)
    token = umd_token(channel_stack, uid="a", umd="new", umdUpdate=True, umdPropagate=True)
    counter = count_dynamodb(channel_stack)
    # WHEN a propagated connection-level update
    assert call(channel_stack, "A", token) == {}
    # THEN GetItem connection, Query gsi1, one consistent BatchGetItem of the subscriptions
    # (gsi1 ∪ the connection's `channels` set), per presence channel a member Query and a
    # fan-out Query, one transaction for every subscription, one UpdateItem for the connection
    assert counter.by_operation() == {
        "GetItem": 1,
        "BatchGetItem": 1,
        "Query": 1 + 2 * presence_channels,
        "TransactWriteItems": 1,
        "UpdateItem": 1,
    }


def test_request_counts_connection_only(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {}, uid="a")
    token = umd_token(channel_stack, uid="a", umd="new", umdUpdate=True)
    counter = count_dynamodb(channel_stack)
    assert call(channel_stack, "A", token) == {}
    assert counter.by_operation() == {"GetItem": 1, "UpdateItem": 1}


def during_write(stack: Stack, monkeypatch: pytest.MonkeyPatch, action: Any) -> None:
    """Run `action` once between the update's reads and its writes (a concurrent request)."""
    calls: list[int] = []
    original = TokenVerifier.consume

    def consume(verifier: TokenVerifier, claims: Any) -> None:
        if not calls:
            calls.append(1)
            action()
        original(verifier, claims)

    monkeypatch.setattr(TokenVerifier, "consume", consume)


def test_unsubscribed_meanwhile_creates_nothing(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(channel_stack, "A", "a", "room", grants={"room": {"subscribe": True}})
    during_write(
        channel_stack, monkeypatch, lambda: channel_stack.subscriptions.delete("room", "A")
    )
    token = umd_token(channel_stack, uid="a", umd=1, channels={"room": {"umdUpdate": True}})
    reply = call(channel_stack, "A", token, "room")
    assert (reply["error"]["code"], reply["channel"]) == ("UMD_UPDATE_PERMISSION_DENIED", "room")
    assert channel_stack.subscriptions.get("room", "A") is None


def test_member_changed_meanwhile_is_retried(
    jim_and_dwight: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = jim_and_dwight
    during_write(stack, monkeypatch, lambda: join(stack, "DWIGHT2", "dwight", umd="tablet"))
    token = umd_token(
        stack, connectionId="DWIGHT", umd="desk", channels={CHAT: {"umdUpdate": True}}
    )
    assert call(stack, "DWIGHT", token, CHAT) == {}
    last = member_frames(stack, "JIM")[-1]
    assert last["data"]["member"] == {"uid": "dwight", "umd": "desk"}


def test_propagate_skips_a_subscription_that_left_meanwhile(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(channel_stack, "A", "a", "std", grants={"*": {"subscribe": True}})
    connection = channel_stack.connections.get("A")
    assert connection is not None
    subscribe(connection, "presence.p", channel_stack)
    during_write(channel_stack, monkeypatch, lambda: channel_stack.subscriptions.delete("std", "A"))
    token = umd_token(channel_stack, uid="a", umd=5, umdUpdate=True, umdPropagate=True)
    assert call(channel_stack, "A", token) == {}
    assert umd_of(channel_stack, "presence.p", "A") == 5
    assert channel_stack.subscriptions.get("std", "A") is None


def test_endless_races_give_up_with_nothing_written(
    jim_and_dwight: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opensock.errors import ConflictError

    def busy(*_: Any) -> None:
        raise ConflictError("presence member changed")

    sleeps: list[float] = []
    jim_and_dwight.sleep = sleeps.append
    monkeypatch.setattr(jim_and_dwight.user_metadata_table, "apply", busy)
    token = umd_token(jim_and_dwight, uid="dwight", umd=1, channels={CHAT: {"umdUpdate": True}})
    reply = call(jim_and_dwight, "DWIGHT", token, CHAT)
    assert reply["error"]["code"] == "INTERNAL_ERROR"  # never the project-local CONFLICT
    assert len(sleeps) == 11  # the retries backed off
    assert member_frames(jim_and_dwight, "JIM") == []


def test_closed_connection_is_refused(channel_stack: Stack) -> None:
    token = umd_token(channel_stack, uid="a", umd=1, umdUpdate=True)
    reply = call(channel_stack, "GONE", token)
    assert reply["error"]["code"] == "UMD_UPDATE_PERMISSION_DENIED"
