"""Liveness end to end: the local stack plays template.yaml (MOCK liveness routes,
LivenessFunction's timers and sweep), real WebSocket clients, timers compressed by settings.

PROTOCOL §7.8-§7.10, §8.12, §8.13, §17, §20 (hotsock-js `heartbeatIntervalSeconds`), Q-HB-1;
SERVER-API §4.8; F64, F76-F78. Waits are on frames and recorded events, never on sleeps; the
only sleeps pace the clients' own heartbeats, which is the behaviour under test.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import pytest

from tests.local.harness import StackHandle, WsClient
from tests.support.liveness import (
    PONG,
    TIMEOUT,
    channel_info,
    closed_within,
    compressed_stack,
    drop,
    marker,
    next_event,
    open_client,
    subscribe,
)

pytestmark = pytest.mark.local
ROOM = {"presence.*": {"subscribe": True}, "news": {"subscribe": True}}


@pytest.fixture(scope="module")
def stack() -> Iterator[StackHandle]:
    yield from compressed_stack()


def test_keep_alive_frames_only_with_the_claim(stack: StackHandle) -> None:
    async def scenario() -> None:
        # GIVEN Jim with `keepAlive: true` and Pam without it (interval 2 s here)
        jim, _, _ = await open_client(stack, uid="jim", keepAlive=True, channels=ROOM)
        pam, _, _ = await open_client(stack, uid="pam", channels=ROOM)
        await subscribe(pam, "news")
        # THEN Jim receives `{"event":"hotsock.keepAlive","data":{}}` again and again
        for _ in range(2):
            frame = await jim.recv_event("hotsock.keepAlive", timeout=TIMEOUT)
            assert frame == {"event": "hotsock.keepAlive", "data": {}}
        # AND Pam received nothing meanwhile: her next frame is a marker published now
        await marker(stack, "news", "after-keep-alives")
        assert await next_event(pam) == "after-keep-alives"
        await jim.close()
        await pam.close()

    asyncio.run(scenario())


def test_ping_pong_and_silent_client_frames(stack: StackHandle) -> None:
    async def scenario() -> None:
        client, _, _ = await open_client(stack, uid="ping", channels=ROOM)
        # `hotsock.ping` is answered with exactly the documented frame (§8.13), byte for byte
        await client.send({"event": "hotsock.ping"})
        assert await asyncio.wait_for(client.connection.recv(), TIMEOUT) == PONG
        # client `hotsock.pong` and `hotsock.heartbeat` get no answer and no error: the next
        # frame after them is the pong of the ping sent last
        await client.send({"event": "hotsock.pong"})
        await client.send({"event": "hotsock.heartbeat"})
        await client.send('{"event":"hotsock.ping","data":{}}')
        assert await asyncio.wait_for(client.connection.recv(), TIMEOUT) == PONG
        await client.close()

    asyncio.run(scenario())


async def beat(client: WsClient, interval: float, until: float) -> None:
    """Send `hotsock.heartbeat` every `interval` seconds until `until` (monotonic)."""
    while time.monotonic() + interval < until:
        await asyncio.sleep(interval)
        await client.send({"event": "hotsock.heartbeat"})


async def hotsock_js_heartbeats(client: WsClient, interval: float, until: float) -> None:
    """hotsock-js 1.4 `heartbeatIntervalSeconds` (§17.2): its timer starts at socket open, not at
    `hotsock.connected`, and each wait is the interval jittered up to 10 % early, never late;
    it sends exactly `{"event":"hotsock.heartbeat"}`."""
    while True:
        wait = interval * (1 - 0.1 * random.random())
        if time.monotonic() + wait >= until:
            return
        await asyncio.sleep(wait)
        await client.connection.send('{"event":"hotsock.heartbeat"}')


def test_heartbeats_keep_connections_open(stack: StackHandle) -> None:
    async def scenario() -> None:
        # GIVEN Dwight (heartbeatTimeout 5, beats every 3 s) and the official client's
        # heartbeatIntervalSeconds 5 against heartbeatTimeout 6, replayed from socket open
        until = time.monotonic() + 20
        token = stack.mint_token(uid="angela", heartbeatTimeout=6, channels=ROOM)
        js = await stack.connect(token)
        js_beats = asyncio.create_task(hotsock_js_heartbeats(js, 5, until))
        await js.recv_event("hotsock.connected", timeout=TIMEOUT)
        dwight, _, _ = await open_client(stack, uid="dwight", heartbeatTimeout=5, channels=ROOM)
        # WHEN both beat for 20 s
        await asyncio.gather(beat(dwight, 3, until), js_beats)
        # THEN both are still open: a ping is answered
        for client in (dwight, js):
            await client.send({"event": "hotsock.ping"})
            assert await client.recv_event("hotsock.pong", timeout=TIMEOUT)
            await client.close()

    asyncio.run(scenario())


def test_missing_heartbeats_close_the_connection_and_peers_see_it_leave(
    stack: StackHandle,
) -> None:
    async def scenario() -> None:
        # GIVEN Kevin (heartbeatTimeout 5) and Oscar on a presence channel
        oscar, _, _ = await open_client(stack, uid="oscar", channels=ROOM)
        await subscribe(oscar, "presence.office")
        kevin, kevin_id, _ = await open_client(
            stack, uid="kevin", heartbeatTimeout=5, channels=ROOM
        )
        await subscribe(kevin, "presence.office")
        await oscar.recv_event("hotsock.memberAdded", timeout=TIMEOUT)
        # WHEN Kevin beats once more and then stops
        await kevin.send({"event": "hotsock.heartbeat"})
        last_beat = time.monotonic()
        # THEN the server closes him after the deadline and its 2 s grace, within 5 s after
        closed_at = await closed_within(kevin, 5 + 2 + 5 + 1)
        assert 5 + 2 - 0.5 <= closed_at - last_beat <= 5 + 2 + 5
        # AND Oscar is told he left; pub/sub says he disconnected
        removed = await oscar.recv_event("hotsock.memberRemoved", timeout=TIMEOUT)
        assert removed["data"]["member"]["uid"] == "kevin"
        assert removed["data"]["members"] == [{"uid": "oscar", "umd": None}]
        await asyncio.to_thread(
            stack.wait_event,
            "hotsock.disconnected",
            lambda e: e["data"]["id"] == kevin_id,
            TIMEOUT,
        )
        await kevin.close()
        await oscar.close()

    asyncio.run(scenario())


def test_socket_gone_without_disconnect_leaves_no_ghost_member(stack: StackHandle) -> None:
    async def scenario() -> None:
        # GIVEN Toby and Holly on a presence channel of their own (members of the other
        # tests' channels leave asynchronously, after those tests end)
        holly, _, _ = await open_client(stack, uid="holly", channels=ROOM)
        await subscribe(holly, "presence.annex")
        toby, toby_id, _ = await open_client(stack, uid="toby", channels=ROOM)
        await subscribe(toby, "presence.annex")
        await holly.recv_event("hotsock.memberAdded", timeout=TIMEOUT)
        # WHEN API Gateway drops Toby's socket and never runs `$disconnect`
        assert drop(stack, toby_id) == 204
        await closed_within(toby, TIMEOUT)
        # THEN the sweep finds him: Holly is told, pub/sub says he disconnected
        removed = await holly.recv_event("hotsock.memberRemoved", timeout=TIMEOUT)
        assert removed["data"]["member"] == {"uid": "toby", "umd": None}
        await asyncio.to_thread(
            stack.wait_event,
            "hotsock.disconnected",
            lambda e: e["data"]["id"] == toby_id,
            TIMEOUT,
        )
        disconnects = await asyncio.to_thread(stack.invocations, "DisconnectFunction")
        ids = [i["event"]["requestContext"]["connectionId"] for i in disconnects]
        assert toby_id not in ids
        await toby.close()
        await holly.close()

    asyncio.run(scenario())


def test_get_channel_info_answers_counts_and_members_and_refuses_without_get_info(
    stack: StackHandle,
) -> None:
    async def scenario() -> None:
        # GIVEN two members on a presence channel and one subscriber of a standard channel
        grants = {**ROOM, "presence.*": {"getInfo": True}, "news": {"getInfo": True}}
        clients = []
        for uid in ("erin", "gabe"):
            client, _, _ = await open_client(stack, uid=uid, channels=ROOM)
            clients.append(client)
            await subscribe(client, "presence.annex")
        await subscribe(clients[0], "news")
        jo, cid, secret = await open_client(stack, uid="jo", channels=grants)
        # WHEN Jo, who may getInfo but is not subscribed, asks
        status, body = await asyncio.to_thread(channel_info, stack, cid, secret, "presence.annex")
        # THEN counts and members, without subscribing
        assert status == 200
        assert body == {
            "channel": "presence.annex",
            "subscriptionsCount": 2,
            "members": [{"uid": "erin", "umd": None}, {"uid": "gabe", "umd": None}],
        }
        status, body = await asyncio.to_thread(channel_info, stack, cid, secret, "news")
        assert (status, body) == (200, {"channel": "news", "subscriptionsCount": 1})
        # AND a connection without `getInfo` is refused
        nate, cid, secret = await open_client(stack, uid="nate", channels=ROOM)
        status, body = await asyncio.to_thread(channel_info, stack, cid, secret, "presence.annex")
        assert status == 403
        assert body["error"]["code"] == "GET_INFO_PERMISSION_DENIED"
        for client in (*clients, jo, nate):
            await client.close()

    asyncio.run(scenario())
