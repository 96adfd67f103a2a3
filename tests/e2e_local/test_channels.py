"""Channels end to end: the local stack, the real handlers, real WebSocket clients and boto3.

Jim, Pam, Michael and friends subscribe, leave, publish and watch each other join and leave
(PROTOCOL §7.1-§7.3, §8.2-§8.7, §10, §13, §14, §18; SERVER-API §2, §4.4, §5). "Nothing else
arrived" is proved without sleeping: once the pub/sub event that a handler emits *after* its
fan-out is recorded, a marker is published, and the marker must be the next frame.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from opensock.adapters.dynamodb.channel_meta_table import ChannelMetaTable
from opensock.adapters.dynamodb.connection_table import ConnectionTable
from opensock.adapters.dynamodb.subscription_table import SubscriptionTable
from opensock.domain.model import Connection, Subscription
from tests.local.conftest import local_stack  # noqa: F401  (the stack fixture, module scope)
from tests.local.harness import StackHandle, WsClient

pytestmark = pytest.mark.local

TIMEOUT = 10.0
VERSION = "1.13.5"
ROOM_GRANTS = {
    "room.*": {
        "subscribe": True,
        "messages": {"chat": {"publish": True, "emitPubSubEvent": True}},
    }
}


# --- helpers -------------------------------------------------------------------------------


async def open_client(
    stack: StackHandle, uid: str | None, umd: Any = None, channels: Any = None, **claims: Any
) -> tuple[WsClient, dict[str, Any]]:
    """A connected client and its `hotsock.connected` frame."""
    token = stack.mint_token(uid=uid, umd=umd, channels=channels or ROOM_GRANTS, **claims)
    client = await stack.connect(token)
    connected = await client.recv_event("hotsock.connected", timeout=TIMEOUT)
    return client, connected


async def subscribe(client: WsClient, channel: str) -> dict[str, Any]:
    """Send `hotsock.subscribe`; the answer (`hotsock.subscribed` or `hotsock.error`)."""
    await client.send({"event": "hotsock.subscribe", "channel": channel})
    return await answer(client, {"hotsock.subscribed", "hotsock.error"})


async def answer(client: WsClient, events: set[str]) -> dict[str, Any]:
    """The first frame whose event is one of `events`; other frames stay buffered."""
    for index, frame in enumerate(client.buffered):
        if isinstance(frame, dict) and frame.get("event") in events:
            return client.buffered.pop(index)  # type: ignore[no-any-return]
    deadline = time.monotonic() + TIMEOUT
    while True:
        frame = await client.recv(timeout=max(deadline - time.monotonic(), 0.01))
        if isinstance(frame, dict) and frame.get("event") in events:
            return frame
        client.buffered.append(frame)


async def next_frame(client: WsClient) -> dict[str, Any]:
    frame: dict[str, Any] = await client.recv(timeout=TIMEOUT)
    return frame


def invoke_publish(stack: StackHandle, payload: dict[str, Any]) -> dict[str, Any]:
    """Server publish by direct Lambda invoke; asserts a normal (200, no error) result."""
    response = stack.lambda_client().invoke(
        FunctionName="PublishFunction", Payload=json.dumps(payload).encode()
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    result: dict[str, Any] = json.loads(response["Payload"].read())
    return result


def http_publish(stack: StackHandle, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    auth = {"Authorization": f"Bearer {stack.publish_key}"}
    status, _, body = stack.http("POST", "/publish", payload, auth)
    return status, json.loads(body)


def channel_info(stack: StackHandle, channel: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {stack.publish_key}"}
    path = f"/channels/{urllib.parse.quote(channel, safe='')}"
    status, _, body = stack.http("GET", path, None, auth)
    assert status == 200, body
    info: dict[str, Any] = json.loads(body)
    return info


async def marker(stack: StackHandle, channel: str, name: str) -> dict[str, Any]:
    """Publish a server marker; every subscriber's next frame must be it."""
    await asyncio.to_thread(invoke_publish, stack, {"channel": channel, "event": name})
    return {"event": name, "channel": channel, "data": None}


def without_id(frame: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(frame.get("id"), str)
    assert len(frame["id"]) == 26
    return {key: value for key, value in frame.items() if key != "id"}


async def wait_event(
    stack: StackHandle, type: str, connection_id: str, channel: str
) -> dict[str, Any]:
    """The subscription pub/sub event of this connection on this channel (polls)."""
    return await asyncio.to_thread(
        stack.wait_event,
        type,
        lambda e: e["data"]["connectionId"] == connection_id and e["data"]["channel"] == channel,
        TIMEOUT,
    )


def member_frame(
    event: str, channel: str, member: dict[str, Any], members: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"event": event, "channel": channel, "data": {"member": member, "members": members}}


def envelope(type: str, data_type: str, data: Any, **metadata: str) -> dict[str, Any]:
    return {
        "source": "hotsock.v1",
        "type": type,
        "metadata": {"hotsockVersion": VERSION, **metadata},
        "data": data,
        "dataType": data_type,
    }


# --- subscribe / unsubscribe ---------------------------------------------------------------


def test_subscribe_unsubscribe_round_trip_and_errors(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    channel = "room.round-trip"

    async def scenario() -> str:
        # GIVEN Jim, allowed on room.* only
        jim, connected = await open_client(stack, "Jim", {"desk": 1})
        meta = {"uid": "Jim", "umd": {"desk": 1}}
        assert connected["meta"] == meta
        # WHEN he subscribes, twice
        first = await subscribe(jim, channel)
        again = await subscribe(jim, channel)
        # THEN the exact subscribed frame, then ALREADY_SUBSCRIBED with the channel echoed
        assert first == {
            "event": "hotsock.subscribed",
            "channel": channel,
            "data": {},
            "meta": meta,
        }
        assert (again["event"], again["channel"], again["error"]["code"]) == (
            "hotsock.error",
            channel,
            "ALREADY_SUBSCRIBED",
        )
        # WHEN he subscribes where he may not
        denied = await subscribe(jim, "accounting.ledger")
        assert (denied["event"], denied["channel"], denied["error"]["code"]) == (
            "hotsock.error",
            "accounting.ledger",
            "SUBSCRIBE_PERMISSION_DENIED",
        )
        assert isinstance(denied["error"]["message"], str)
        # WHEN he unsubscribes, twice
        await jim.send({"event": "hotsock.unsubscribe", "channel": channel})
        left = await answer(jim, {"hotsock.unsubscribed", "hotsock.error"})
        await jim.send({"event": "hotsock.unsubscribe", "channel": channel})
        gone = await answer(jim, {"hotsock.unsubscribed", "hotsock.error"})
        # THEN the exact unsubscribed frame, then NOT_SUBSCRIBED
        assert left == {
            "event": "hotsock.unsubscribed",
            "channel": channel,
            "data": {},
            "meta": meta,
        }
        assert (gone["event"], gone["channel"], gone["error"]["code"]) == (
            "hotsock.error",
            channel,
            "NOT_SUBSCRIBED",
        )
        assert jim.buffered == []
        await jim.close()
        return str(connected["data"]["connectionId"])

    jim_id = asyncio.run(scenario())
    # THEN the pub/sub events, in the spec's shapes
    stack.wait_event("hotsock.disconnected", lambda e: e["data"]["id"] == jim_id, TIMEOUT)
    mine = [e for e in stack.events() if _concerns(e, jim_id, channel)]
    sub = {"channel": channel, "connectionId": jim_id, "uid": "Jim", "umd": {"desk": 1}}
    assert [e for e in mine if e["dataType"] != "connection"] == [
        envelope("hotsock.subscribed", "subscription", sub, channel=channel),
        envelope(
            "hotsock.channelUpdated",
            "channel",
            {"name": channel, "subscriptionsCount": 1},
            channel=channel,
        ),
        envelope("hotsock.unsubscribed", "subscription", sub, channel=channel),
        envelope(
            "hotsock.channelUpdated",
            "channel",
            {"name": channel, "subscriptionsCount": 0},
            channel=channel,
        ),
    ]
    connection = [e for e in mine if e["dataType"] == "connection"]
    assert [e["type"] for e in connection] == ["hotsock.connected", "hotsock.disconnected"]
    for event in connection:
        assert set(event) == {"source", "type", "metadata", "data", "dataType"}
        assert event["metadata"] == {"hotsockVersion": VERSION}
        assert event["data"]["uid"] == "Jim"
        assert event["data"]["umd"] == {"desk": 1}
        assert set(event["data"]) == {
            "id",
            "connectedAt",
            "disconnectedAt",
            "keepAlive",
            "sourceIp",
            "uid",
            "umd",
            "userAgent",
        }
    assert connection[0]["data"]["disconnectedAt"] is None
    assert isinstance(connection[1]["data"]["disconnectedAt"], str)


def _concerns(event: dict[str, Any], connection_id: str, channel: str) -> bool:
    data = event["data"]
    if event["dataType"] == "connection":
        return bool(data["id"] == connection_id)
    if event["dataType"] == "channel":
        return bool(data["name"] == channel)
    return bool(data.get("connectionId") == connection_id)


# --- presence ------------------------------------------------------------------------------

PRESENCE_GRANTS = {"presence.*": {"subscribe": True}}


def test_presence_join_and_leave_seen_by_every_member(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "presence.break-room"
    ana = {"uid": "Ana", "umd": None}
    ben = {"uid": "Ben", "umd": {"name": "Ben"}}
    cat = {"uid": "Cat", "umd": None}

    async def scenario() -> str:
        a, a_connected = await open_client(stack, "Ana", channels=PRESENCE_GRANTS)
        b1, b1_connected = await open_client(stack, "Ben", {"name": "Ben"}, PRESENCE_GRANTS)
        b2, b2_connected = await open_client(stack, "Ben", {"name": "Ben"}, PRESENCE_GRANTS)
        c, _ = await open_client(stack, "Cat", channels=PRESENCE_GRANTS)
        # WHEN Ana, Ben and Cat join one after the other
        joined = await subscribe(a, chan)
        assert joined == {
            "event": "hotsock.subscribed",
            "channel": chan,
            "data": {"members": [ana]},
            "meta": ana,
        }
        assert (await subscribe(b1, chan))["data"] == {"members": [ana, ben]}
        assert await next_frame(a) == member_frame("hotsock.memberAdded", chan, ben, [ana, ben])
        assert (await subscribe(c, chan))["data"] == {"members": [ana, ben, cat]}
        added = member_frame("hotsock.memberAdded", chan, cat, [ana, ben, cat])
        # THEN every other member sees each join, with the full list
        assert await next_frame(a) == added
        assert await next_frame(b1) == added
        # WHEN Ben joins again from a second connection, same umd
        second = await subscribe(b2, chan)
        assert second == {
            "event": "hotsock.subscribed",
            "channel": chan,
            "data": {"members": [ana, ben, cat]},
            "meta": ben,
        }
        await wait_event(stack, "hotsock.subscribed", b2_connected["data"]["connectionId"], chan)
        # THEN nobody hears about it: the next frame everyone gets is the marker
        first_marker = await marker(stack, chan, "marker-1")
        for client in (a, b1, b2, c):
            assert without_id(await next_frame(client)) == first_marker
        # WHEN Cat unsubscribes
        await c.send({"event": "hotsock.unsubscribe", "channel": chan})
        assert (await next_frame(c))["event"] == "hotsock.unsubscribed"
        # THEN each remaining subscription sees memberRemoved
        removed = member_frame("hotsock.memberRemoved", chan, cat, [ana, ben])
        for client in (a, b1, b2):
            assert await next_frame(client) == removed
        # WHEN one of Ben's two connections closes
        b1_id = b1_connected["data"]["connectionId"]
        await b1.close()
        await wait_event(stack, "hotsock.unsubscribed", b1_id, chan)
        # THEN Ben is still a member: nothing before the marker
        second_marker = await marker(stack, chan, "marker-2")
        for client in (a, b2):
            assert without_id(await next_frame(client)) == second_marker
        # WHEN his last connection closes
        await b2.close()
        # THEN Ana sees him leave
        assert await next_frame(a) == member_frame("hotsock.memberRemoved", chan, ben, [ana])
        assert await asyncio.to_thread(channel_info, stack, chan) == {
            "name": chan,
            "subscriptionsCount": 1,
            "members": [ana],
        }
        await a.close()
        await c.close()
        return str(a_connected["data"]["connectionId"])

    ana_id = asyncio.run(scenario())
    stack.wait_event("hotsock.disconnected", lambda e: e["data"]["id"] == ana_id, TIMEOUT)
    # THEN pub/sub: one memberAdded and one memberRemoved per uid, in the channelMember shape
    member_events = [
        e
        for e in stack.events()
        if e["type"] in ("hotsock.memberAdded", "hotsock.memberRemoved")
        and e["metadata"]["channel"] == chan
    ]
    assert [(e["type"], e["data"]["uid"]) for e in member_events] == [
        ("hotsock.memberAdded", "Ana"),
        ("hotsock.memberAdded", "Ben"),
        ("hotsock.memberAdded", "Cat"),
        ("hotsock.memberRemoved", "Cat"),
        ("hotsock.memberRemoved", "Ben"),
        ("hotsock.memberRemoved", "Ana"),
    ]
    assert member_events[1] == envelope(
        "hotsock.memberAdded",
        "channelMember",
        {"uid": "Ben", "umd": {"name": "Ben"}, "members": [ana, ben]},
        channel=chan,
    )
    assert member_events[-2] == envelope(
        "hotsock.memberRemoved",
        "channelMember",
        {"uid": "Ben", "umd": {"name": "Ben"}, "members": [ana]},
        channel=chan,
    )


# --- capacity ------------------------------------------------------------------------------

CAPACITY = 102_400
UMD = "x" * 1022  # 1024 bytes as compact JSON: the largest umd a token may carry
FIT = 5


def _uid(prefix: str, number: int) -> str:
    """A 128-character uid (the longest allowed), so that one member is 1169 bytes."""
    return f"{prefix}{number:03d}".ljust(128, "-")


def _compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def seed_members(stack: StackHandle, channel: str, members: dict[str, str]) -> None:
    """Members already present whose connections are elsewhere (no subscription item on this
    channel, so no fan-out reaches them), written with the presence store's own transaction
    items. Two large members stand in for ~80 token-sized ones (a token's umd is at most 1 KiB):
    moto answers a presence read in ~13 ms per member item, and every join reads them all.
    """
    from opensock.adapters.dynamodb.member_table import MemberTable
    from opensock.domain.presence import MemberChange, MemberState

    client = _dynamodb(stack)
    table = MemberTable(stack.environment["TABLE_NAME"], client)
    now = time.time()
    for number, (uid, umd) in enumerate(members.items()):
        state = MemberState(uid, now + number / 1000, 1, {f"elsewhere-{number}": (umd, now)})
        change = MemberChange(None, state)
        write = table.member_write(channel, change)
        assert write is not None
        client.transact_write_items(TransactItems=[write, table.meta_write(channel, change, 0)])


def _dynamodb(stack: StackHandle) -> Any:
    return boto3.client("dynamodb", region_name=stack.environment["AWS_REGION"])


def test_concurrent_joins_at_the_capacity_edge(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "presence.all-hands"
    joiner_bytes = _compact({"uid": _uid("j", 0), "umd": UMD})
    # GIVEN a presence channel with room for exactly FIT more members of the joiners' size
    free = joiner_bytes * FIT + joiner_bytes // 2
    present = {_uid("p", n): "p" * ((CAPACITY - free) // 2 - 149) for n in range(2)}
    seed_members(stack, chan, present)
    taken = sum(_compact({"uid": uid, "umd": umd}) for uid, umd in present.items())
    assert taken + FIT * joiner_bytes <= CAPACITY < taken + (FIT + 1) * joiner_bytes

    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
        # WHEN 20 clients connect at once and all subscribe at once
        # (the local stack runs one invocation per function at a time, so SubscribeFunction
        # takes them one by one; the interleaved race is tests/integration/test_subscribe.py's)
        opened = await asyncio.gather(
            *(open_client(stack, _uid("j", n), UMD, PRESENCE_GRANTS) for n in range(20))
        )
        clients = [client for client, _ in opened]
        answers = await asyncio.gather(*(subscribe(client, chan) for client in clients))
        info = await asyncio.to_thread(channel_info, stack, chan)
        await asyncio.gather(*(client.close() for client in clients))
        return list(answers), info, [c["data"]["connectionId"] for _, c in opened]

    answers, info, ids = asyncio.run(scenario())
    # THEN exactly FIT are subscribed and the others are told the channel is full
    subscribed = [a for a in answers if a["event"] == "hotsock.subscribed"]
    refused = [a for a in answers if a["event"] == "hotsock.error"]
    assert len(subscribed) == FIT
    assert len(refused) == 20 - FIT
    assert {(a["channel"], a["error"]["code"]) for a in refused} == {
        (chan, "PRESENCE_CHANNEL_CAPACITY_REACHED")
    }
    for frame in subscribed:
        assert sum(_compact(m) for m in frame["data"]["members"]) <= CAPACITY
    # AND the admin API lists every member, within 100 KB
    assert info["subscriptionsCount"] == FIT
    assert len(info["members"]) == len(present) + FIT
    assert sum(_compact(m) for m in info["members"]) <= CAPACITY
    # (the stack is shared by the module: let the 20 disconnects finish here)
    left = set(ids)
    stack.wait_event("hotsock.disconnected", lambda _: left <= _disconnected(stack), 30)


def _disconnected(stack: StackHandle) -> set[str]:
    return {e["data"]["id"] for e in stack.events("hotsock.disconnected")}


# --- publishing ----------------------------------------------------------------------------

FEED_GRANTS = {"feed.*": {"subscribe": True}}


def test_server_publish_reaches_everyone_in_order(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "feed.prices"

    def publish_all() -> list[dict[str, Any]]:
        results = []
        for n in range(20):
            payload = {"channel": chan, "event": "tick", "data": {"n": n}, "emitPubSubEvent": n < 2}
            if n % 2 == 0:
                results.append(invoke_publish(stack, payload))
            else:
                status, body = http_publish(stack, payload)
                assert status == 202
                results.append(body)
        return results

    async def scenario() -> list[list[dict[str, Any]]]:
        # GIVEN three subscribers
        clients = [(await open_client(stack, None, channels=FEED_GRANTS))[0] for _ in range(3)]
        for client in clients:
            assert (await subscribe(client, chan))["event"] == "hotsock.subscribed"
        # WHEN 20 messages are published, alternating Lambda invoke and POST /publish
        results = await asyncio.to_thread(publish_all)
        assert results == [{"channel": chan, "event": "tick"}] * 20
        received = [[await next_frame(client) for _ in range(20)] for client in clients]
        for client in clients:
            await client.close()
        return received

    received = asyncio.run(scenario())
    # THEN every subscriber has all 20, in publish order, ids increasing, without `meta`
    for frames in received:
        assert [without_id(f) for f in frames] == [
            {"event": "tick", "channel": chan, "data": {"n": n}} for n in range(20)
        ]
        ids = [f["id"] for f in frames]
        assert ids == sorted(ids)
        assert len(set(ids)) == 20
    assert received[0] == received[1] == received[2]
    # AND messagePublished (asked for twice) names the transport, with no sender
    published = [
        e for e in stack.events("hotsock.messagePublished") if e["data"]["channel"] == chan
    ]
    assert [e["metadata"]["trigger"] for e in published] == ["server.lambda", "server.http"]
    first = published[0]
    assert first == envelope(
        "hotsock.messagePublished",
        "message",
        {"channel": chan, "event": "tick", "id": received[0][0]["id"], "data": {"n": 0}},
        channel=chan,
        event="tick",
        requestId=first["metadata"]["requestId"],
        trigger="server.lambda",
    )
    assert "connectionId" not in published[1]["metadata"]


ECHO_GRANTS = {
    "room.*": {
        "subscribe": True,
        "messages": {"chat": {"publish": True, "echo": True, "emitPubSubEvent": True}},
    }
}


def test_echo_is_off_by_default_and_on_when_granted(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "room.echo"
    jim_meta = {"uid": "Jim", "umd": None}
    pam_meta = {"uid": "Pam", "umd": {"role": "reception"}}

    async def scenario() -> str:
        # GIVEN Jim (no echo) and Pam (echo) in one room
        jim, jim_connected = await open_client(stack, "Jim")
        pam, _ = await open_client(stack, "Pam", {"role": "reception"}, ECHO_GRANTS)
        await subscribe(jim, chan)
        await subscribe(pam, chan)
        # WHEN Jim says hi
        await jim.send({"event": "chat", "channel": chan, "data": "hi"})
        # THEN Pam gets it with Jim's meta
        heard = await next_frame(pam)
        assert without_id(heard) == {
            "event": "chat",
            "channel": chan,
            "data": "hi",
            "meta": jim_meta,
        }
        # AND Jim does not: once it is published, the next frame he gets is the marker
        await asyncio.to_thread(
            stack.wait_event, "hotsock.messagePublished", lambda e: e["data"]["id"] == heard["id"]
        )
        expected = await marker(stack, chan, "marker")
        assert without_id(await next_frame(jim)) == expected
        assert without_id(await next_frame(pam)) == expected
        # WHEN Pam answers
        await pam.send({"event": "chat", "channel": chan, "data": "hey"})
        # THEN Jim gets it, and so does Pam herself (echo), with her meta
        answer_frame = await next_frame(jim)
        assert without_id(answer_frame) == {
            "event": "chat",
            "channel": chan,
            "data": "hey",
            "meta": pam_meta,
        }
        assert await next_frame(pam) == answer_frame
        await jim.close()
        await pam.close()
        return str(jim_connected["data"]["connectionId"])

    jim_id = asyncio.run(scenario())
    # THEN messagePublished for a client message: trigger, connection and sender
    event = next(
        e
        for e in stack.events("hotsock.messagePublished")
        if e["data"]["channel"] == chan and e["data"]["data"] == "hi"
    )
    metadata = event["metadata"]
    assert (metadata["trigger"], metadata["connectionId"], metadata["event"]) == (
        "client.websocket",
        jim_id,
        "chat",
    )
    assert set(metadata) == {
        "channel",
        "connectionId",
        "event",
        "hotsockVersion",
        "requestId",
        "sourceIp",
        "trigger",
        "userAgent",
    }
    assert event["data"]["meta"] == jim_meta
    assert (event["source"], event["dataType"]) == ("hotsock.v1", "message")


def test_broadcast_without_subscription(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "room.announcements"
    broadcaster = {chan: {"messages": {"alert": {"broadcast": True}}}}

    async def scenario() -> None:
        # GIVEN Jim subscribed, and Michael allowed to broadcast `alert` but not subscribed
        jim, _ = await open_client(stack, "Jim")
        michael, _ = await open_client(stack, "Michael", channels=broadcaster)
        await subscribe(jim, chan)
        # WHEN Michael broadcasts
        await michael.send({"event": "alert", "channel": chan, "data": "fire drill"})
        # THEN Jim receives it with Michael's meta
        assert without_id(await next_frame(jim)) == {
            "event": "alert",
            "channel": chan,
            "data": "fire drill",
            "meta": {"uid": "Michael", "umd": None},
        }
        await jim.close()
        await michael.close()

    asyncio.run(scenario())


def test_client_http_publish_message(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "room.http"

    async def scenario() -> None:
        # GIVEN Jim and Pam subscribed
        jim, _ = await open_client(stack, "Jim")
        pam, pam_connected = await open_client(stack, "Pam")
        await subscribe(jim, chan)
        await subscribe(pam, chan)
        credentials = {
            "connectionId": pam_connected["data"]["connectionId"],
            "connectionSecret": pam_connected["data"]["connectionSecret"],
        }
        body = {"channel": chan, "event": "chat", "data": "over http"}
        # WHEN Pam publishes over the Client HTTP API
        path = f"/connection/publishMessage?{urllib.parse.urlencode(credentials)}"
        status, _, raw = await asyncio.to_thread(stack.http, "POST", path, body)
        # THEN 202 with the echo of the request, and Jim receives it with Pam's meta
        assert (status, json.loads(raw)) == (202, {"channel": chan, "event": "chat"})
        assert without_id(await next_frame(jim)) == {**body, "meta": {"uid": "Pam", "umd": None}}
        # WHEN the secret is wrong
        wrong = {**credentials, "connectionSecret": "not-the-secret"}
        path = f"/connection/publishMessage?{urllib.parse.urlencode(wrong)}"
        status, _, raw = await asyncio.to_thread(stack.http, "POST", path, body)
        # THEN 401
        assert (status, json.loads(raw)["error"]["code"]) == (401, "UNAUTHORIZED")
        await jim.close()
        await pam.close()

    asyncio.run(scenario())


# --- dead connections and schedules ----------------------------------------------------------


def plant_dead_connection(stack: StackHandle, channel: str) -> str:
    """A connection API Gateway no longer knows (dropped without `$disconnect`), subscribed to
    `channel`: its record, subscription and count as SubscribeFunction writes them."""
    table = stack.environment["TABLE_NAME"]
    client = _dynamodb(stack)
    now = time.time()
    expires = int(now) + 7200
    dead_id = f"Dead{int(now * 1000) % 10**11:011d}="  # 15 characters and "=", like API Gateway's
    ConnectionTable(table, client).put(
        Connection(dead_id, "Creed", None, FEED_GRANTS, "s3cret", now, expires)
    )
    SubscriptionTable(table, client).put(
        Subscription(channel, dead_id, "Creed", None, now, expires, connect_grants=FEED_GRANTS)
    )
    ChannelMetaTable(table, client).add_subscriptions(channel, 1)
    return dead_id


def test_dead_connection_is_pruned_while_the_rest_receive(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "feed.with-a-ghost"

    async def scenario() -> tuple[str, dict[str, Any], dict[str, Any]]:
        # GIVEN two live subscribers and one dead connection between them
        first, _ = await open_client(stack, None, channels=FEED_GRANTS)
        await subscribe(first, chan)
        dead_id = await asyncio.to_thread(plant_dead_connection, stack, chan)
        second, _ = await open_client(stack, None, channels=FEED_GRANTS)
        await subscribe(second, chan)
        assert (await asyncio.to_thread(channel_info, stack, chan))["subscriptionsCount"] == 3
        # WHEN a message is published
        await asyncio.to_thread(invoke_publish, stack, {"channel": chan, "event": "news"})
        # THEN the live ones receive it
        for client in (first, second):
            assert without_id(await next_frame(client)) == {
                "event": "news",
                "channel": chan,
                "data": None,
            }
        # AND the dead one is unsubscribed and no longer counted
        unsubscribed = await wait_event(stack, "hotsock.unsubscribed", dead_id, chan)
        info = await asyncio.to_thread(channel_info, stack, chan)
        await first.close()
        await second.close()
        return dead_id, unsubscribed, info

    dead_id, unsubscribed, info = asyncio.run(scenario())
    assert info == {"name": chan, "subscriptionsCount": 2}
    assert unsubscribed == envelope(
        "hotsock.unsubscribed",
        "subscription",
        {"channel": chan, "connectionId": dead_id, "uid": "Creed", "umd": None},
        channel=chan,
    )
    # AND, having died without $disconnect, it is disconnected on API Gateway's behalf
    stack.wait_event("hotsock.disconnected", lambda e: e["data"]["id"] == dead_id, TIMEOUT)
    table = stack.environment["TABLE_NAME"]
    assert SubscriptionTable(table, _dynamodb(stack)).get(chan, dead_id) is None
    assert ConnectionTable(table, _dynamodb(stack)).get(dead_id) is None


def test_scheduled_message_arrives_at_its_time(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chan = "feed.reminders"

    async def scenario() -> None:
        client, _ = await open_client(stack, None, channels=FEED_GRANTS)
        await subscribe(client, chan)
        # WHEN a server publish is scheduled about 2 s ahead (whole seconds, UTC)
        now = datetime.now(UTC)
        at = now.replace(microsecond=0) + timedelta(seconds=3 if now.microsecond else 2)
        payload = {
            "channel": chan,
            "event": "stand-up",
            "data": "now",
            "scheduleExpression": f"at({at:%Y-%m-%dT%H:%M:%S})",
        }
        result = await asyncio.to_thread(invoke_publish, stack, payload)
        # THEN the response carries the schedule's ARN
        assert set(result) == {"channel", "event", "scheduleArn"}
        arn = result["scheduleArn"]
        assert arn.startswith("arn:aws:scheduler:")
        assert len(arn.rsplit("/", 1)[1]) == 26
        # AND the message arrives after its time, not before
        frame = await client.recv(timeout=TIMEOUT)
        arrived = datetime.now(UTC)
        assert without_id(frame) == {"event": "stand-up", "channel": chan, "data": "now"}
        assert at <= arrived < at + timedelta(seconds=math.ceil(TIMEOUT))
        await client.close()

    asyncio.run(scenario())
