"""Schedule control end to end (extension, issue #19): real clients on the local stack.

A referee schedules a storage write, lists it through the Client HTTP API and cancels it; the
write never happens (the observer's next frame is a later scheduled write); a player without
`scheduleBefore` on that key sees nothing and is refused.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e_local.test_storage import LOBBY, TIMEOUT, open_client, subscribe, updated
from tests.local.conftest import local_stack  # noqa: F401  (the stack fixture, module scope)
from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def call(stack: StackHandle, data: dict[str, Any], action: str, **body: Any) -> tuple[int, Any]:
    query = urllib.parse.urlencode(
        {"connectionId": data["connectionId"], "connectionSecret": data["connectionSecret"]}
    )
    status, _, raw = stack.http("POST", f"/connection/{action}?{query}", body)
    return status, json.loads(raw)


def at(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")


def test_a_client_cancels_its_scheduled_write(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack

    async def scenario() -> None:
        # GIVEN an observer, a referee who may schedule `round.*`, a player who may only set
        watcher, _ = await open_client(stack, "sc-watch", {"*": {"observe": True}}, subscribe=True)
        await subscribe(watcher, "sc-watch")
        limit = int(time.time()) + 300
        referee, ref = await open_client(
            stack, "sc-ref", {"round.*": {"set": True, "scheduleBefore": limit}}
        )
        player, plain = await open_client(stack, "sc-p1", {"round.*": {"set": True}})
        # WHEN the referee schedules two writes, 3 s and 4 s ahead
        fire = math.ceil(time.time()) + 3
        write = {"event": "hotsock.channelStorageSet", "channel": LOBBY, "data": "go"}
        await referee.send({**write, "key": "round.cancelled", "scheduleExpression": at(fire)})
        await referee.send({**write, "key": "round.kept", "scheduleExpression": at(fire + 1)})
        # THEN it lists both (when both are recorded)
        deadline = time.monotonic() + TIMEOUT
        while (
            len(
                (await asyncio.to_thread(call, stack, ref, "listSchedules", channel=LOBBY))[1][
                    "items"
                ]
            )
            < 2
        ):
            assert time.monotonic() < deadline
        status, listed = await asyncio.to_thread(call, stack, ref, "listSchedules", channel=LOBBY)
        doomed = next(i for i in listed["items"] if i["key"] == "round.cancelled")
        assert status == 200 and doomed["kind"] == "storageSet" and doomed["uid"] == "sc-ref"
        # AND the player, without scheduleBefore, sees none and may not cancel it
        status, theirs = await asyncio.to_thread(call, stack, plain, "listSchedules", channel=LOBBY)
        assert (status, theirs) == (200, {"channel": LOBBY, "items": []})
        status, refused = await asyncio.to_thread(
            call, stack, plain, "cancelSchedule", channel=LOBBY, id=doomed["id"]
        )
        assert (status, refused["error"]["code"]) == (404, "SCHEDULE_NOT_PENDING")
        # WHEN the referee cancels it
        status, cancelled = await asyncio.to_thread(
            call, stack, ref, "cancelSchedule", channel=LOBBY, id=doomed["id"]
        )
        assert (status, cancelled) == (
            200,
            {"channel": LOBBY, "id": doomed["id"], "cancelled": True},
        )
        # THEN it never fires: the observer's next frame is the later write
        assert await watcher.recv(TIMEOUT) == updated("round.kept", "go", "sc-ref")
        assert time.time() >= fire + 1 - 0.05
        # AND a schedule that fired cannot be cancelled
        kept = next(i for i in listed["items"] if i["key"] == "round.kept")
        status, late = await asyncio.to_thread(
            call, stack, ref, "cancelSchedule", channel=LOBBY, id=kept["id"]
        )
        assert (status, late["error"]["code"]) == (404, "SCHEDULE_NOT_PENDING")
        await asyncio.gather(*(c.close() for c in (watcher, referee, player)))

    asyncio.run(scenario())
