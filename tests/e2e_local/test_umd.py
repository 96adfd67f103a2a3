"""Live umd updates end to end: the local stack, the real handlers and real WebSocket clients.

Jim and Dwight share presence channels; Dwight changes his metadata per channel and for his
whole connection (PROTOCOL §7.6, §12; SERVER-API §4.9, §5.7).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.local.conftest import local_stack  # noqa: F401  (the stack fixture, module scope)
from tests.local.harness import StackHandle, WsClient

pytestmark = pytest.mark.local

TIMEOUT = 10.0
GRANTS = {"presence.*": {"subscribe": True, "messages": {"*": {"publish": True}}}}


async def open_client(stack: StackHandle, uid: str, umd: Any = None) -> tuple[WsClient, str]:
    client = await stack.connect(stack.mint_token(uid=uid, umd=umd, channels=GRANTS))
    connected = await client.recv_event("hotsock.connected", timeout=TIMEOUT)
    return client, connected["data"]["connectionId"]


async def join(client: WsClient, channel: str) -> dict[str, Any]:
    await client.send({"event": "hotsock.subscribe", "channel": channel})
    return await client.recv_event("hotsock.subscribed", timeout=TIMEOUT)


async def update(client: WsClient, token: str, channel: str | None = None) -> None:
    frame: dict[str, Any] = {"event": "hotsock.umdUpdate", "data": {"token": token}}
    if channel is not None:
        frame["channel"] = channel
    await client.send(frame)


async def next_frame(client: WsClient) -> dict[str, Any]:
    frame: dict[str, Any] = await client.recv(timeout=TIMEOUT)
    return frame


def member_updated(channel: str, member: dict[str, Any], members: list[Any]) -> dict[str, Any]:
    return {
        "event": "hotsock.memberUpdated",
        "channel": channel,
        "data": {"member": member, "members": members},
    }


def test_per_channel_update_and_refusals(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    chat = "presence.chat"

    def umd_token(scope: str = "umd", ttl: int = 3600, **claims: Any) -> str:
        return stack.mint_token(scope=scope, ttl=ttl, **claims)

    async def scenario() -> None:
        jim, jim_id = await open_client(stack, "Jim")
        dwight, dwight_id = await open_client(stack, "Dwight")
        await join(jim, chat)
        await join(dwight, chat)
        await jim.recv_event("hotsock.memberAdded", timeout=TIMEOUT)
        allowed = {chat: {"umdUpdate": True}}
        # WHEN Dwight sends a per-channel update
        await update(
            dwight, umd_token(uid="Dwight", umd={"status": "away"}, channels=allowed), chat
        )
        # THEN both receive memberUpdated in the spec's shape (the updater included)
        away = member_updated(
            chat,
            {"uid": "Dwight", "umd": {"status": "away"}},
            [{"uid": "Jim", "umd": None}, {"uid": "Dwight", "umd": {"status": "away"}}],
        )
        assert await next_frame(jim) == away
        assert await next_frame(dwight) == away
        # WHEN four bad tokens are sent
        refused = [
            (
                umd_token(uid="Dwight", umd=1, channels={chat: {"subscribe": True}}),
                "UMD_UPDATE_PERMISSION_DENIED",
            ),
            (umd_token(ttl=-60, uid="Dwight", umd=2, channels=allowed), "INVALID_UMD_TOKEN"),
            (umd_token(connectionId=jim_id, umd=3, channels=allowed), "INVALID_UMD_TOKEN"),
            (umd_token("connect", uid="Dwight", umd=4, channels=allowed), "INVALID_UMD_TOKEN"),
        ]
        for token, code in refused:
            await update(dwight, token, chat)
            error = await next_frame(dwight)
            assert (error["event"], error["channel"], error["error"]["code"]) == (
                "hotsock.error",
                chat,
                code,
            )
        # THEN nothing changed: the next frame Jim sees is the next real update, built on "away"
        bound = umd_token(connectionId=dwight_id, umd={"status": "back"}, channels=allowed)
        await update(dwight, bound, chat)
        back = await next_frame(jim)
        assert back["data"]["members"][1] == {"uid": "Dwight", "umd": {"status": "back"}}
        assert await next_frame(dwight) == back
        await jim.close()
        await dwight.close()

    asyncio.run(scenario())
    events = [e for e in stack.events("hotsock.memberUpdated") if e["metadata"]["channel"] == chat]
    assert [e["data"]["umd"] for e in events] == [{"status": "away"}, {"status": "back"}]


def test_connection_level_update_with_and_without_propagate(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack
    rooms = ["presence.room-a", "presence.room-b"]

    async def scenario() -> str:
        jim, _ = await open_client(stack, "Jim")
        dwight, dwight_id = await open_client(stack, "Dwight", {"name": "Dwight"})
        for room in rooms:
            await join(jim, room)
            await join(dwight, room)
            await jim.recv_event("hotsock.memberAdded", timeout=TIMEOUT)
        # WHEN a connection-level update with umdPropagate
        token = stack.mint_token(
            scope="umd", uid="Dwight", umd={"name": "D2"}, umdUpdate=True, umdPropagate=True
        )
        await update(dwight, token)
        # THEN every presence channel announces it, to both members
        for client in (jim, dwight):
            seen = {
                (await client.recv_event("hotsock.memberUpdated", TIMEOUT))["channel"]
                for _ in rooms
            }
            assert seen == set(rooms)
        # AND a later implicit subscription inherits it
        later = await join(dwight, "presence.room-c")
        assert later["meta"] == {"uid": "Dwight", "umd": {"name": "D2"}}
        # WHEN an update without umdPropagate, then the identical one again, then another change
        for name in ("D3", "D3", "D4"):
            token = stack.mint_token(scope="umd", uid="Dwight", umd={"name": name}, umdUpdate=True)
            await update(dwight, token)
        # THEN existing subscriptions keep D2: Dwight's messages there still carry it
        await dwight.send({"event": "say", "channel": rooms[0], "data": "hi"})
        message = await jim.recv_event("say", timeout=TIMEOUT)
        assert message["meta"] == {"uid": "Dwight", "umd": {"name": "D2"}}
        # AND once the last change is stored, a new subscription takes it
        await asyncio.to_thread(
            stack.wait_event,
            "hotsock.connectionUpdated",
            lambda e: e["data"]["id"] == dwight_id and e["data"]["umd"] == {"name": "D4"},
            TIMEOUT,
        )
        newest = await join(dwight, "presence.room-d")
        assert newest["meta"]["umd"] == {"name": "D4"}
        await jim.close()
        await dwight.close()
        return dwight_id

    dwight_id = asyncio.run(scenario())
    # THEN hotsock.connectionUpdated once per real change, none for the identical update
    mine = [e for e in stack.events("hotsock.connectionUpdated") if e["data"]["id"] == dwight_id]
    assert [e["data"]["umd"]["name"] for e in mine] == ["D2", "D3", "D4"]


def test_http_umd_update(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack

    async def scenario() -> None:
        client = await stack.connect(stack.mint_token(uid="Pam", channels=GRANTS))
        connected = await client.recv_event("hotsock.connected", timeout=TIMEOUT)
        await join(client, "presence.office")
        query = "connectionId={}&connectionSecret={}".format(
            connected["data"]["connectionId"], connected["data"]["connectionSecret"]
        )
        path = f"/connection/umdUpdate?{query}"
        token = stack.mint_token(
            scope="umd", uid="Pam", umd="art", channels={"presence.*": {"umdUpdate": True}}
        )
        status, _, body = await asyncio.to_thread(
            stack.http, "POST", path, {"token": token, "channel": "presence.office"}
        )
        assert (status, json.loads(body)) == (200, {})
        frame = await client.recv_event("hotsock.memberUpdated", timeout=TIMEOUT)
        assert frame["data"]["member"] == {"uid": "Pam", "umd": "art"}
        status, _, body = await asyncio.to_thread(
            stack.http, "POST", path, {"token": token, "channel": "presence.elsewhere"}
        )
        assert (status, json.loads(body)["error"]["code"]) == (403, "NOT_SUBSCRIBED")
        await client.close()

    asyncio.run(scenario())
