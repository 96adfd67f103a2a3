"""SubscribeFunction against moto: round trip, every §9 error, presence, capacity."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from functions.subscribe.app import lambda_handler
from opensock.domain.lanes import choose_lane, lane_draw
from opensock.errors import PresenceCapacityReachedError
from opensock.jsoncodec import loads
from tests.support.calls import subscribe
from tests.support.channels import (
    count_dynamodb,
    gateway,
    open_connection,
    pubsub,
    vanish_after_read,
)
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext, FakePublisher
from tests.support.stack import Stack
from tests.support.tokens import mint


def call(stack: Stack, cid: str, body: Any) -> dict[str, Any]:
    event = ws_event("subscribe", connection_id=cid, body=body)
    response: dict[str, Any] = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    return loads(response["body"]) if "body" in response else {}


def test_subscribe_posts_subscribed_and_emits_events(channel_stack: Stack) -> None:
    # GIVEN a connection allowed to subscribe to room.1
    open_connection(channel_stack, "A", {"room.*": {"subscribe": True}}, uid="u1")
    # WHEN it subscribes
    reply = call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "room.1"})
    # THEN hotsock.subscribed is posted, nothing is returned, pub/sub sees subscribed + count
    assert reply == {}
    assert gateway(channel_stack).frames["A"] == [
        {
            "event": "hotsock.subscribed",
            "channel": "room.1",
            "data": {},
            "meta": {"uid": "u1", "umd": None},
        }
    ]
    types = [e["type"] for e in pubsub(channel_stack).envelopes]
    assert types == ["hotsock.subscribed", "hotsock.channelUpdated"]
    updated = pubsub(channel_stack).of_type("hotsock.channelUpdated")[0]
    assert updated["data"] == {"name": "room.1", "subscriptionsCount": 1}
    assert updated["metadata"] == {"channel": "room.1", "hotsockVersion": "1.13.5"}


@pytest.mark.parametrize(
    ("grants", "body", "code"),
    [
        ({}, {"event": "hotsock.subscribe", "channel": "x"}, "SUBSCRIBE_PERMISSION_DENIED"),
        (
            {"x": {"subscribe": True}, "*": {"subscribe": False}},
            {"event": "hotsock.subscribe", "channel": "x"},
            "SUBSCRIBE_PERMISSION_DENIED",
        ),
        (
            {"*": {"subscribe": True}},
            {"event": "hotsock.subscribe", "channel": "bad name"},
            "SUBSCRIBE_PERMISSION_DENIED",
        ),
        (
            {"*": {"subscribe": True}},
            {"event": "hotsock.subscribe", "channel": "x", "data": {"token": "junk"}},
            "INVALID_SUBSCRIBE_TOKEN",
        ),
        (
            {"*": {"subscribe": True}},
            {"event": "hotsock.subscribe", "channel": "presence.x"},
            "PRESENCE_CHANNEL_USER_ID_REQUIRED",
        ),
    ],
)
def test_subscribe_errors(
    channel_stack: Stack, grants: dict[str, Any], body: dict[str, Any], code: str
) -> None:
    open_connection(channel_stack, "A", grants)
    reply = call(channel_stack, "A", body)
    assert reply["event"] == "hotsock.error"
    assert reply["error"]["code"] == code
    assert reply["channel"] == body["channel"]


def test_already_subscribed(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {"x": {"subscribe": True}})
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "x"})
    reply = call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "x"})
    assert reply["error"]["code"] == "ALREADY_SUBSCRIBED"


@pytest.mark.parametrize("channel", ["secret.1", "presence.secret"])
def test_already_subscribed_comes_before_the_permission_check(
    channel_stack: Stack, channel: str
) -> None:
    # GIVEN a connection that may not subscribe to the channel (and has no uid of its own),
    # which joined it with a subscribe token granting it (and a uid)
    open_connection(channel_stack, "A", {})
    claims = {"connectionId": "A", "uid": "u-1", "channels": {channel: {"subscribe": True}}}
    token = mint(claims, scope="subscribe", now=channel_stack.clock())
    joined = {"event": "hotsock.subscribe", "channel": channel, "data": {"token": token}}
    assert call(channel_stack, "A", joined) == {}
    # WHEN it subscribes again without the token
    reply = call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": channel})
    # THEN §7.1 step 3 answers before step 4 (and step 6): ALREADY_SUBSCRIBED
    assert reply["error"]["code"] == "ALREADY_SUBSCRIBED"
    assert reply["channel"] == channel


def test_subscribe_token_overrides_uid_umd_alias(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {}, uid="u1")
    token = mint(
        {
            "connectionId": "A",
            "uid": "other",
            "umd": {"n": 1},
            "channels": {"secret.1": {"subscribe": True, "alias": "s"}},
        },
        scope="subscribe",
        now=channel_stack.clock(),
    )
    body = {"event": "hotsock.subscribe", "channel": "s", "data": {"token": token}}
    assert call(channel_stack, "A", body) == {}
    frame = gateway(channel_stack).frames["A"][0]
    assert frame["channel"] == "secret.1"
    assert frame["meta"] == {"channelAlias": "s", "uid": "other", "umd": {"n": 1}}


def test_single_use_subscribe_token_is_consumed(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {}, uid="u1")
    claims = {"uid": "u1", "singleUse": True, "jti": "j-1", "channels": {"*": {"subscribe": True}}}
    token = mint(claims, scope="subscribe", now=channel_stack.clock())
    ok = call(
        channel_stack,
        "A",
        {"event": "hotsock.subscribe", "channel": "a", "data": {"token": token}},
    )
    again = call(
        channel_stack,
        "A",
        {"event": "hotsock.subscribe", "channel": "b", "data": {"token": token}},
    )
    assert ok == {}
    assert again["error"]["code"] == "INVALID_SUBSCRIBE_TOKEN"


def test_presence_dedup_by_uid(channel_stack: Stack) -> None:
    # GIVEN two connections of uid "ana" and one of "ben" on a presence channel
    grants = {"presence.room": {"subscribe": True}}
    open_connection(channel_stack, "A1", grants, uid="ana")
    open_connection(channel_stack, "A2", grants, uid="ana")
    open_connection(channel_stack, "B", grants, uid="ben")
    for cid in ("A1", "A2", "B"):
        call(channel_stack, cid, {"event": "hotsock.subscribe", "channel": "presence.room"})
    frames = gateway(channel_stack).frames
    # THEN A1 saw one memberAdded (ben) only: A2 (same uid, same umd) adds nothing
    assert [f["event"] for f in frames["A1"]] == ["hotsock.subscribed", "hotsock.memberAdded"]
    assert frames["B"][0]["data"]["members"] == [
        {"uid": "ana", "umd": None},
        {"uid": "ben", "umd": None},
    ]
    assert len(pubsub(channel_stack).of_type("hotsock.memberAdded")) == 2


def test_same_uid_new_umd_sends_member_updated_to_others(channel_stack: Stack) -> None:
    grants = {"presence.room": {"subscribe": True}}
    open_connection(channel_stack, "A1", grants, uid="ana", umd={"s": "on"})
    open_connection(channel_stack, "A2", grants, uid="ana", umd={"s": "away"})
    call(channel_stack, "A1", {"event": "hotsock.subscribe", "channel": "presence.room"})
    call(channel_stack, "A2", {"event": "hotsock.subscribe", "channel": "presence.room"})
    frames = gateway(channel_stack).frames
    assert frames["A1"][-1]["event"] == "hotsock.memberUpdated"
    assert frames["A1"][-1]["data"]["member"] == {"uid": "ana", "umd": {"s": "away"}}
    assert [f["event"] for f in frames["A2"]] == ["hotsock.subscribed"]


def test_capacity_reached(channel_stack: Stack) -> None:
    channel_stack.members.limit = 100
    grants = {"presence.p": {"subscribe": True}}
    a = open_connection(channel_stack, "A", grants, uid="a", umd="x" * 40)
    b = open_connection(channel_stack, "B", grants, uid="b", umd="y" * 40)
    subscribe(a, "presence.p", channel_stack)
    with pytest.raises(PresenceCapacityReachedError):
        subscribe(b, "presence.p", channel_stack)


def test_twenty_concurrent_joins_never_exceed_capacity(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a capacity of 5 members' worth of bytes and moto calls serialised by one lock
    from moto.core.models import botocore_stubber

    lock = threading.RLock()
    original = type(botocore_stubber).process_request.__get__(botocore_stubber)

    def locked(request: Any) -> Any:
        with lock:
            return original(request)

    monkeypatch.setattr(botocore_stubber, "process_request", locked)
    member_bytes = len('{"uid":"u00","umd":null}')
    channel_stack.members.limit = member_bytes * 5
    conns = [
        open_connection(
            channel_stack, f"C{i:02d}", {"presence.p": {"subscribe": True}}, uid=f"u{i:02d}"
        )
        for i in range(20)
    ]
    results: list[str] = []

    def join(connection: Any) -> None:
        try:
            subscribe(connection, "presence.p", channel_stack)
            results.append("ok")
        except PresenceCapacityReachedError:
            results.append("full")

    # WHEN 20 joins race
    threads = [threading.Thread(target=join, args=(c,)) for c in conns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # THEN exactly 5 got in and the member list holds 5 members
    assert results.count("ok") == 5
    assert results.count("full") == 15
    assert len(channel_stack.members.members("presence.p")) == 5


def test_request_counts(channel_stack: Stack) -> None:
    open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")
    counter = count_dynamodb(channel_stack)
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "std"})
    standard = counter.by_operation()
    counter.calls.clear()
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "presence.p"})
    presence = counter.by_operation()
    print("subscribe standard", standard, "presence", presence)
    # GetItem of the connection + UpdateItem count (its new value picks the lane, and is what
    # pub/sub's channelUpdated carries: no read) + PutItem subscription + UpdateItem connection
    # (live, `channels`)
    assert standard == {"GetItem": 1, "PutItem": 1, "UpdateItem": 2}
    # presence: one transaction, a member Query before it and the fan-out Query of the member
    # frame, and the consistent count read for channelUpdated (pub/sub is on here)
    assert presence == {"BatchGetItem": 1, "GetItem": 1, "Query": 2, "TransactWriteItems": 1}


def test_request_counts_without_pubsub(channel_stack: Stack) -> None:
    # GIVEN pub/sub off (the template's default), so no count is read back
    channel_stack.pubsub = FakePublisher(enabled=False)
    open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")
    counter = count_dynamodb(channel_stack)
    # WHEN the connection subscribes to a standard channel
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "std"})
    # THEN it is the connection read and three single-item writes, none transactional
    assert counter.by_operation() == {"GetItem": 1, "PutItem": 1, "UpdateItem": 2}


def test_a_subscription_keeps_the_lane_chosen_from_the_channel_count(
    channel_stack: Stack,
) -> None:
    # GIVEN a channel of 1,000 subscriptions and a connection allowed into it and an alias
    channel_stack.channel_meta.add_subscriptions("big", 1_000)
    grants = {"big": {"subscribe": True}, "small": {"subscribe": True}}
    open_connection(channel_stack, "A", grants, uid="a")
    # WHEN it subscribes to the big channel and to an empty one
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "big"})
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "small"})
    # THEN the big channel's subscription has a queued lane of the window for 1,000, the
    # empty channel's the inline lane (both stored on the item)
    big = channel_stack.subscriptions.get("big", "A")
    small = channel_stack.subscriptions.get("small", "A")
    assert big is not None and small is not None
    assert big.lane == choose_lane(1_000, lane_draw("big", "A")) and 2 <= big.lane <= 6
    assert small.lane == 0


def _cancel_first(stack: Stack, codes: list[str]) -> list[int]:
    """Make the next TransactWriteItems fail once with these cancellation reason codes."""
    from botocore.exceptions import ClientError

    client = stack.subscriptions.client
    real = client.transact_write_items
    calls: list[int] = []

    def transact(**kwargs: Any) -> Any:
        calls.append(len(kwargs["TransactItems"]))
        if len(calls) == 1:
            error = {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": [{"Code": code} for code in codes],
            }
            raise ClientError(error, "TransactWriteItems")  # type: ignore[arg-type]
        return real(**kwargs)

    client.transact_write_items = transact
    return calls


def test_a_presence_transaction_conflict_is_retried(channel_stack: Stack) -> None:
    # GIVEN the first presence join transaction cancelled by a concurrent transaction
    channel = "presence.p"
    open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")
    calls = _cancel_first(channel_stack, ["None", "TransactionConflict", "None"])
    # WHEN the connection subscribes
    call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": channel})
    # THEN the write is retried and the subscription is there, counted once
    assert len(calls) == 2
    assert channel_stack.subscriptions.get(channel, "A") is not None
    assert channel_stack.channel_meta.subscriptions_count(channel) == 1
    assert gateway(channel_stack).frames["A"][0]["event"] == "hotsock.subscribed"


def test_endless_conflicts_back_off_then_answer_a_code_hotsock_js_handles(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opensock.errors import ConflictError

    # GIVEN every presence join transaction losing its race (standard joins have none)
    channel = "presence.p"
    sleeps: list[float] = []
    channel_stack.sleep = sleeps.append
    open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")

    def busy(*_: Any, **__: Any) -> None:
        raise ConflictError("transaction conflicted")

    monkeypatch.setattr(channel_stack.members, "join", busy)
    # WHEN the connection subscribes
    reply = call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": channel})
    # THEN the retries backed off, within a bounded time (jittered, doubling up to a cap)
    assert len(sleeps) == 11
    assert all(0 <= pause <= 0.32 for pause in sleeps)
    assert sum(sleeps) <= 2.3
    # AND the answer is one of the four codes hotsock-js acts on (§9.3, §20.4), never CONFLICT
    assert reply["error"]["code"] == "SUBSCRIBE_PERMISSION_DENIED"
    assert reply["channel"] == channel
    assert channel_stack.subscriptions.get(channel, "A") is None


@pytest.mark.parametrize("channel", ["std", "presence.p"])
def test_a_connection_gone_before_the_write_gets_nothing(
    channel_stack: Stack, channel: str
) -> None:
    # GIVEN a connection whose record disappears between the route's read and the write
    connection = open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")
    channel_stack.connections.delete("A")
    # WHEN the subscribe goes on with the connection it read
    result = subscribe(connection, channel, channel_stack)
    # THEN nothing is written, counted or posted
    assert result is None
    assert channel_stack.subscriptions.get(channel, "A") is None
    assert channel_stack.channel_meta.subscriptions_count(channel) == 0
    assert channel_stack.members.members(channel) == []
    assert gateway(channel_stack).frames.get("A", []) == []


def test_a_connection_gone_after_the_handler_read_it_leaves_nothing(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a connection whose record is deleted right after SubscribeFunction reads it
    open_connection(channel_stack, "A", {"*": {"subscribe": True}}, uid="a")
    vanish_after_read(channel_stack, monkeypatch)
    # WHEN it subscribes
    reply = call(channel_stack, "A", {"event": "hotsock.subscribe", "channel": "std"})
    # THEN the subscription written before the connection's claim is deleted again, uncounted,
    # and nothing is answered or posted (the socket is gone)
    assert reply == {}
    assert channel_stack.subscriptions.get("std", "A") is None
    assert channel_stack.channel_meta.subscriptions_count("std") == 0
    assert gateway(channel_stack).frames.get("A", []) == []
