"""Channel storage end to end (issue #5): the local stack, the real handlers, real clients.

A host prepares `game.lobby` without subscribing; players subscribe, observe, write, get
refused, watch a short-lived entry expire and a scheduled write flip at its time; the server
writes through a Lambda invoke; clears reach observers; the pub/sub log holds every change and
the TTL expiry (PROTOCOL §7.4, §7.5, §8.8, §8.9, §11, §14; SERVER-API §2.5, §3.2, §4.5–§4.7,
§5.6–§5.8). Every frame a client receives is checked, in order. The lifecycle runs twice: with
exact expiry off (exactly Hotsock's behaviour) and on (the default; docs/extensions.md).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.http11 import USER_AGENT

from tests.local.harness import StackHandle, WsClient
from tools.local.server import StackOptions
from tools.local.template import DEFAULT_TEMPLATE
from tools.local.threaded import running_in_thread

pytestmark = pytest.mark.local

TIMEOUT = 10.0
TTL_TIMEOUT = 20.0
LOBBY = "game.lobby"
UPDATED = "hotsock.channelStorageUpdated"
SET_FUNCTION = "ChannelStorageSetFunction"
SERVER: tuple[str | None, str | None] = (None, None)


def updated(key: str, data: Any, uid: str | None, channel: str = LOBBY) -> dict[str, Any]:
    return {
        "event": UPDATED,
        "channel": channel,
        "key": key,
        "data": data,
        "meta": {"uid": uid, "umd": None},
    }


def stored(key: str, data: Any, uid: str | None, channel: str = LOBBY) -> dict[str, Any]:
    return {
        "event": "hotsock.channelStorageData",
        "channel": channel,
        "key": key,
        "data": data,
        "meta": None if data is None else {"uid": uid, "umd": None},
    }


def subscribed(uid: str, channel: str = LOBBY) -> dict[str, Any]:
    return {
        "event": "hotsock.subscribed",
        "channel": channel,
        "data": {},
        "meta": {"uid": uid, "umd": None},
    }


def rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def open_client(
    stack: StackHandle, uid: str, storage: dict[str, Any], channel: str = LOBBY, **grant: Any
) -> tuple[WsClient, dict[str, Any]]:
    """A connection whose connect token grants `storage` on `channel`; its connected data."""
    token = stack.mint_token(uid=uid, channels={channel: {"storage": storage, **grant}})
    client = await stack.connect(token)
    connected = await client.recv(TIMEOUT)
    assert connected["event"] == "hotsock.connected"
    return client, connected["data"]


async def subscribe(client: WsClient, uid: str) -> None:
    await client.send({"event": "hotsock.subscribe", "channel": LOBBY})
    assert await client.recv(TIMEOUT) == subscribed(uid)


async def set_value(client: WsClient, key: str, data: Any, **extra: Any) -> None:
    await client.send(
        {"event": "hotsock.channelStorageSet", "channel": LOBBY, "key": key, "data": data, **extra}
    )


async def get_value(client: WsClient, key: str) -> dict[str, Any]:
    await client.send({"event": "hotsock.channelStorageGet", "channel": LOBBY, "key": key})
    frame: dict[str, Any] = await client.recv(TIMEOUT)
    return frame


async def snapshot(client: WsClient, count: int) -> list[dict[str, Any]]:
    """The `count` frames after `hotsock.subscribed`, sorted by key (their order is free)."""
    frames = [await client.recv(TIMEOUT) for _ in range(count)]
    return sorted(frames, key=lambda frame: str(frame.get("key")))


def finished_sets(stack: StackHandle) -> int:
    """Storage-set invocations that have returned (`durationMs` is null while one runs)."""
    return sum(1 for i in stack.invocations(SET_FUNCTION) if i["durationMs"] is not None)


async def wait_finished_sets(stack: StackHandle, count: int) -> None:
    """Until `count` storage-set invocations have returned (a write that answers nothing)."""
    deadline = time.monotonic() + TIMEOUT
    while await asyncio.to_thread(finished_sets, stack) < count:
        assert time.monotonic() < deadline, f"fewer than {count} {SET_FUNCTION} returns"
        await asyncio.sleep(0.05)


def canonical_frame(frame: dict[str, Any]) -> str:
    return json.dumps(frame, sort_keys=True)


def storage_events(stack: StackHandle, channel: str = LOBBY) -> list[dict[str, Any]]:
    return [e for e in stack.events(UPDATED) if e["metadata"]["channel"] == channel]


def expired_frame(key: str) -> dict[str, Any]:
    """What observers get when exact expiry (the default) clears an entry (docs/extensions.md)."""
    return updated(key, None, None) | {"meta": {"uid": None, "umd": None, "expired": True}}


@pytest.fixture(scope="module", params=["disabled", "enabled"])
def expiry_mode(request: pytest.FixtureRequest) -> Iterator[tuple[str, StackHandle]]:
    """The stack with `StorageExactExpiryParameter` off (exactly Hotsock: only the TTL sweep
    tells anyone, through pub/sub) and on (the default: observers also see the clear)."""
    environ = {"STORAGE_EXACT_EXPIRY": request.param}
    options = StackOptions(port=0, template=DEFAULT_TEMPLATE, environ=environ)
    with running_in_thread(options) as running:
        handle = StackHandle(running)
        yield request.param, handle
        handle.close()


def test_storage_lifecycle_on_the_local_stack(expiry_mode: tuple[str, StackHandle]) -> None:
    mode, stack = expiry_mode
    ids: dict[str, str] = {}
    expiry: dict[str, tuple[int, int]] = {}

    async def scenario() -> None:
        # GIVEN a host who may set and get every key but never subscribes
        host, _ = await open_client(stack, "host", {"*": {"set": True, "get": True}})
        sets = await asyncio.to_thread(finished_sets, stack)
        # WHEN the host prepares the lobby
        await set_value(host, "settings", {"maxPlayers": 4})
        await wait_finished_sets(stack, sets + 1)
        # THEN a player who subscribes later gets hotsock.subscribed, then that entry
        watcher = {"*": {"observe": True, "get": True}}
        p1, _ = await open_client(stack, "p1", watcher, subscribe=True)
        await subscribe(p1, "p1")
        assert await p1.recv(TIMEOUT) == updated("settings", {"maxPlayers": 4}, "host")
        # WHEN the host writes the same value again, THEN nothing reaches the player: the next
        # frame it receives is the host's next real change
        await set_value(host, "settings", {"maxPlayers": 4})
        await wait_finished_sets(stack, sets + 2)
        await set_value(host, "settings", {"maxPlayers": 6})
        assert await p1.recv(TIMEOUT) == updated("settings", {"maxPlayers": 6}, "host")
        # WHEN a player without `set` writes, THEN it is refused and the value stays
        await set_value(p1, "settings", {"maxPlayers": 99})
        refusal = await p1.recv(TIMEOUT)
        code = "STORAGE_SET_PERMISSION_DENIED"
        message = refusal["error"].get("message")
        assert refusal == {
            "event": "hotsock.error",
            "channel": LOBBY,
            "error": {"code": code, "message": message},
        }
        assert isinstance(message, str) and message
        assert await get_value(p1, "settings") == stored("settings", {"maxPlayers": 6}, "host")

        # GIVEN a player who may set `player.*` for 2 s (with pub/sub) and observes everything
        writer = watcher | {"player.*": {"set": True, "store": 2, "emitPubSubEvent": True}}
        p2, p2_data = await open_client(stack, "p2", writer, subscribe=True)
        ids["p2"] = p2_data["connectionId"]
        await subscribe(p2, "p2")
        assert await p2.recv(TIMEOUT) == updated("settings", {"maxPlayers": 6}, "host")
        # AND a referee who may schedule `round-state` writes for the next five minutes
        limit = int(time.time()) + 300
        referee, referee_data = await open_client(
            stack,
            "referee",
            {"round-state": {"set": True, "scheduleBefore": limit, "emitPubSubEvent": True}},
        )
        ids["referee"] = referee_data["connectionId"]
        # WHEN p2 writes its short-lived entry
        written = time.time()
        await set_value(p2, "player.123", {"score": 10})
        # THEN the writer sees its own update (it observes), and so does p1
        assert await p2.recv(TIMEOUT) == updated("player.123", {"score": 10}, "p2")
        assert await p1.recv(TIMEOUT) == updated("player.123", {"score": 10}, "p2")
        expiry["bounds"] = (math.ceil(written + 2), math.ceil(time.time() + 2))
        # WHEN the referee schedules the round to start in two seconds
        fire = math.ceil(time.time()) + 2
        at = datetime.fromtimestamp(fire, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
        await set_value(referee, "round-state", "playing", scheduleExpression=at)
        # THEN the scheduled write reaches both observers at its time, not before; with exact
        # expiry the short-lived entry's clear reaches them about then too (either first)
        for client in (p1, p2):
            if mode == "disabled":
                assert await client.recv(TIMEOUT) == updated("round-state", "playing", "referee")
            else:
                both = [await client.recv(TIMEOUT), await client.recv(TIMEOUT)]
                assert sorted(both, key=canonical_frame) == sorted(
                    [updated("round-state", "playing", "referee"), expired_frame("player.123")],
                    key=canonical_frame,
                )
            assert time.time() >= fire
        # WHEN the entry expires (disabled: the TTL sweeper removes it and StreamFunction emits
        # the event; enabled: its schedule cleared it and emitted the event, once)
        await asyncio.to_thread(
            stack.wait_event,
            UPDATED,
            lambda e: e["data"]["key"] == "player.123" and e["data"]["expired"],
            TTL_TIMEOUT,
        )
        # THEN get finds nothing and a new subscriber's snapshot leaves it out
        assert await get_value(p2, "player.123") == stored("player.123", None, None)
        p3, _ = await open_client(stack, "p3", watcher, subscribe=True)
        await subscribe(p3, "p3")
        assert await snapshot(p3, 2) == [
            updated("round-state", "playing", "referee"),
            updated("settings", {"maxPlayers": 6}, "host"),
        ]

        # WHEN the server writes through a Lambda invoke
        invoke = {
            "channel": LOBBY,
            "event": "hotsock.channelStorageSet",
            "key": "announcement",
            "data": "hello",
            "emitPubSubEvent": True,
        }
        reply = await asyncio.to_thread(server_write, stack, invoke)
        assert reply == {"channel": LOBBY, "event": "hotsock.channelStorageSet"}
        # THEN observers get it with a null writer
        for client in (p1, p2, p3):
            assert await client.recv(TIMEOUT) == updated("announcement", "hello", None)
        # AND the same server write again changes nothing (no frame, no pub/sub event)
        assert await asyncio.to_thread(server_write, stack, invoke) == reply
        # WHEN `null` (server) and `{}` (referee, now) clear, THEN observers get data null
        await asyncio.to_thread(server_write, stack, invoke | {"data": None})
        for client in (p1, p2, p3):
            assert await client.recv(TIMEOUT) == updated("announcement", None, None)
        await set_value(referee, "round-state", {})
        for client in (p1, p2, p3):
            assert await client.recv(TIMEOUT) == updated("round-state", None, "referee")
        assert await get_value(p1, "round-state") == stored("round-state", None, None)
        # AND the host, the referee and the observers received nothing else
        clients = (host, referee, p1, p2, p3)
        assert await asyncio.gather(*(quiet(c) for c in clients)) == [True] * len(clients)
        for client in clients:
            await client.close()

    asyncio.run(scenario())

    # THEN the admin API lists what is left
    status, headers, body = stack.http(
        "GET",
        f"/channels/{LOBBY}/storage",
        headers={"Authorization": f"Bearer {stack.publish_key}"},
    )
    assert (status, headers.get_content_type()) == (200, "application/json")
    assert json.loads(body) == {
        "items": [
            {"key": "settings", "data": {"maxPlayers": 6}, "meta": {"uid": "host", "umd": None}}
        ]
    }
    # AND pub/sub holds one event per emitting change (the host's writes do not emit), the TTL
    # expiry included; SNS and EventBridge may reorder them
    events = wait_events(stack, 6)
    player = next(e for e in events if e["data"]["key"] == "player.123")
    expires = player["data"]["expiresAt"]
    low, high = expiry["bounds"]
    assert expires in {rfc3339(at) for at in range(low, high + 1)}
    p2_write = {"writer": ("p2", ids["p2"]), "expires_at": expires}
    referee = ("referee", ids["referee"])
    expected = [
        storage_event("player.123", {"score": 10}, None, **p2_write),
        storage_event("round-state", "playing", None, referee),
        storage_event("player.123", None, {"score": 10}, expired=True, **p2_write),
        storage_event("announcement", "hello", None, SERVER),
        storage_event("announcement", None, "hello", SERVER),
        storage_event("round-state", None, "playing", referee),
    ]
    assert sorted(events, key=canonical) == sorted(expected, key=canonical)


def storage_event(
    key: str,
    data: Any,
    previous: Any,
    writer: tuple[str | None, str | None],
    expires_at: str | None = None,
    expired: bool = False,
) -> dict[str, Any]:
    """A `hotsock.channelStorageUpdated` envelope on the lobby (SERVER-API §5.6, §5.7);
    `writer` is (uid, connection id), both None for a server write."""
    uid, connection_id = writer
    metadata = {"channel": LOBBY, "hotsockVersion": "1.13.5", "key": key}
    if connection_id is None:
        metadata["trigger"] = "server.lambda"
    else:
        metadata |= {
            "connectionId": connection_id,
            "sourceIp": "127.0.0.1",
            "trigger": "client.websocket",
            "userAgent": USER_AGENT,
        }
    return {
        "source": "hotsock.v1",
        "type": UPDATED,
        "metadata": metadata,
        "data": {
            "channel": LOBBY,
            "key": key,
            "data": data,
            "dataPrevious": previous,
            "expired": expired,
            "expiresAt": expires_at,
            "meta": {"uid": uid, "umd": None},
        },
        "dataType": "channelStorage",
    }


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


async def quiet(client: WsClient) -> bool:
    """True when nothing more arrives within a short grace period."""
    try:
        frame = await client.recv(0.3)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame {frame}")


def server_write(stack: StackHandle, payload: dict[str, Any]) -> Any:
    response = stack.lambda_client().invoke(
        FunctionName="PublishFunction", Payload=json.dumps(payload).encode()
    )
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


def wait_events(stack: StackHandle, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + TIMEOUT
    while len(events := storage_events(stack)) < count:
        assert time.monotonic() < deadline, events
        time.sleep(0.05)
    return events


def test_client_http_api_round_trip(expiry_mode: tuple[str, StackHandle]) -> None:
    _, stack = expiry_mode
    channel = "game.http"

    async def scenario() -> None:
        client, data = await open_client(
            stack,
            "hana",
            {"*": {"set": True, "get": True, "observe": True}, "secret": {"get": False}},
            channel,
            subscribe=True,
        )
        await client.send({"event": "hotsock.subscribe", "channel": channel})
        assert await client.recv(TIMEOUT) == subscribed("hana", channel)
        query = f"connectionId={data['connectionId']}&connectionSecret={data['connectionSecret']}"

        def call(action: str, body: dict[str, Any]) -> tuple[int, Any]:
            status, _, raw = stack.http("POST", f"/connection/{action}?{query}", body)
            return status, json.loads(raw)

        accepted = (202, {"channel": channel, "event": "hotsock.channelStorageSet"})
        # WHEN two keys are set over HTTP, THEN 202 and the observing writer gets each change
        for key, value in (("rules", {"rounds": 3}), ("secret", "shh")):
            body = {"channel": channel, "key": key, "data": value}
            assert await asyncio.to_thread(call, "channelStorageSet", body) == accepted
            assert await client.recv(TIMEOUT) == updated(key, value, "hana", channel)
        # AND an identical write is still accepted but delivers nothing: the next frame is the
        # next real change
        same = {"channel": channel, "key": "rules", "data": {"rounds": 3}}
        assert await asyncio.to_thread(call, "channelStorageSet", same) == accepted
        more = same | {"data": {"rounds": 5}}
        assert await asyncio.to_thread(call, "channelStorageSet", more) == accepted
        assert await client.recv(TIMEOUT) == updated("rules", {"rounds": 5}, "hana", channel)
        # THEN get answers the channelStorageData object; get and list hide the `get: false` key
        status, reply = await asyncio.to_thread(
            call, "channelStorageGet", {"channel": channel, "key": "rules"}
        )
        assert (status, reply) == (200, stored("rules", {"rounds": 5}, "hana", channel))
        status, reply = await asyncio.to_thread(
            call, "channelStorageGet", {"channel": channel, "key": "secret"}
        )
        assert (status, reply["error"]["code"]) == (403, "STORAGE_GET_PERMISSION_DENIED")
        status, reply = await asyncio.to_thread(call, "channelStorageList", {"channel": channel})
        assert (status, reply) == (200, {"items": [item("rules", {"rounds": 5})]})
        assert await quiet(client)
        await client.close()

    asyncio.run(scenario())
    status, _, body = stack.http(
        "GET",
        f"/channels/{channel}/storage",
        headers={"Authorization": f"Bearer {stack.publish_key}"},
    )
    # AND the admin listing shows every entry, in key order
    items = [item("rules", {"rounds": 5}), item("secret", "shh")]
    assert (status, json.loads(body)) == (200, {"items": items})


def item(key: str, data: Any) -> dict[str, Any]:
    return {"key": key, "data": data, "meta": {"uid": "hana", "umd": None}}
