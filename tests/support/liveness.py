"""Helpers of the liveness end-to-end tests: a time-compressed local stack and client steps.

The stack plays template.yaml as `make dev` does, with the liveness timers shortened through
their settings (`KEEP_ALIVE_INTERVAL_SECONDS`, `SWEEP_INTERVAL_SECONDS`, `SWEEP_SLOTS`,
`PRESENCE_LEAVE_GRACE_SECONDS`) and LivenessFunction's `rate(1 minute)` played every second.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from tests.local.harness import StackHandle, WsClient
from tools.local.server import StackOptions
from tools.local.template import DEFAULT_TEMPLATE
from tools.local.threaded import running_in_thread

TIMEOUT = 15.0
PONG = '{"event":"hotsock.pong","data":"{}"}'
COMPRESSED = {
    "KEEP_ALIVE_INTERVAL_SECONDS": "2",
    "SWEEP_INTERVAL_SECONDS": "1",
    "SWEEP_SLOTS": "1",
}


def compressed_stack(**settings: str) -> Iterator[StackHandle]:
    environ = {**COMPRESSED, **settings}
    options = StackOptions(port=0, template=DEFAULT_TEMPLATE, rate_seconds=1.0, environ=environ)
    with running_in_thread(options) as stack:
        handle = StackHandle(stack)
        yield handle
        handle.close()


async def open_client(stack: StackHandle, **claims: Any) -> tuple[WsClient, str, str]:
    """A client past `hotsock.connected`: (client, connection id, connection secret)."""
    client = await stack.connect(stack.mint_token(**claims))
    connected = await client.recv_event("hotsock.connected", timeout=TIMEOUT)
    return client, connected["data"]["connectionId"], connected["data"]["connectionSecret"]


async def subscribe(client: WsClient, channel: str) -> dict[str, Any]:
    await client.send({"event": "hotsock.subscribe", "channel": channel})
    return await client.recv_event("hotsock.subscribed", timeout=TIMEOUT)


async def closed_within(client: WsClient, timeout: float) -> float:
    """Wait for the server to close the socket; returns when (monotonic)."""
    await asyncio.wait_for(client.connection.wait_closed(), timeout)
    return time.monotonic()


async def marker(stack: StackHandle, channel: str, name: str) -> None:
    """A server publish to `channel`: every subscriber's next frame must be it."""
    status, _, body = await asyncio.to_thread(
        stack.http,
        "POST",
        "/publish",
        {"channel": channel, "event": name, "data": None},
        {"Authorization": f"Bearer {stack.publish_key}"},
    )
    assert status == 202, body


async def next_event(client: WsClient) -> str:
    frame = await client.recv(timeout=TIMEOUT)
    return str(frame.get("event")) if isinstance(frame, dict) else repr(frame)


def channel_info(
    stack: StackHandle, connection_id: str, secret: str, channel: str
) -> tuple[int, dict[str, Any]]:
    import json

    query = urllib.parse.urlencode({"connectionId": connection_id, "connectionSecret": secret})
    status, _, body = stack.http(
        "POST", f"/connection/getChannelInfo?{query}", {"channel": channel}
    )
    return status, json.loads(body)


def drop(stack: StackHandle, connection_id: str) -> int:
    quoted = urllib.parse.quote(connection_id, safe="")
    return stack.http("POST", f"/_local/connections/{quoted}/drop")[0]
