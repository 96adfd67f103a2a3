"""API Gateway's idle (10 min) and lifetime (2 h) limits, shortened by the stack's options."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from tests.local.conftest import FIXTURE_TEMPLATE, start
from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def short_stack() -> Iterator[StackHandle]:
    yield from start(FIXTURE_TEMPLATE, idle_timeout=1.0, max_lifetime=3.0)


async def closed_after(client: object, activity: bool) -> tuple[int, str, float]:
    started = time.monotonic()
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            if activity:  # a frame every 0.25 s keeps the idle timer from firing
                await client.send("keep me busy")  # type: ignore[attr-defined]
                await asyncio.sleep(0.25)
            await client.recv(timeout=10)  # type: ignore[attr-defined]
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason, time.monotonic() - started


def test_an_idle_connection_is_closed_going_away(short_stack: StackHandle) -> None:
    async def scenario() -> tuple[str, tuple[int, str, float]]:
        client = await short_stack.connect("ok")
        connection_id = (await client.recv_event("hello"))["connectionId"]
        return connection_id, await closed_after(client, activity=False)

    connection_id, (code, reason, elapsed) = asyncio.run(scenario())
    assert (code, reason) == (1001, "Going away")
    assert elapsed < 3.0  # closed by the 1 s idle timer, not by the 3 s lifetime
    event = short_stack.wait_event("test.disconnected", lambda e: e["data"]["id"] == connection_id)
    assert (event["data"]["code"], event["data"]["reason"]) == (1001, "Going away")


def test_an_active_connection_still_ends_at_its_maximum_lifetime(short_stack: StackHandle) -> None:
    async def scenario() -> tuple[float, tuple[int, str, float]]:
        opened = time.monotonic()
        client = await short_stack.connect("ok")
        await client.recv_event("hello")
        result = await closed_after(client, activity=True)
        return time.monotonic() - opened, result

    lifetime, (code, reason, _) = asyncio.run(scenario())
    assert (code, reason) == (1001, "Going away")
    assert 3.0 <= lifetime < 10.0  # never before the lifetime, though activity kept it busy
