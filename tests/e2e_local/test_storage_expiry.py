"""Exact storage expiry end to end (extension, issue #19), on by default.

Real clients on the local stack: an observer sees a `store: 3` entry cleared about 3 s after
its write without any other write (`data: null`, `meta.expired`), the pub/sub expiry event
fires once; an entry rewritten before its first expiry is cleared only at its second.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e_local.test_storage import LOBBY, TIMEOUT, UPDATED, open_client, subscribe, updated
from tests.local.harness import StackHandle
from tools.local.server import StackOptions
from tools.local.template import DEFAULT_TEMPLATE
from tools.local.threaded import running_in_thread

pytestmark = pytest.mark.local

PRECISION = 2.0  # the scheduler's, on the local stack


@pytest.fixture(scope="module")
def stack() -> Iterator[StackHandle]:
    # No setting: exact expiry is the template's default (`StorageExactExpiryParameter`).
    options = StackOptions(port=0, template=DEFAULT_TEMPLATE)
    with running_in_thread(options) as running:
        yield StackHandle(running)


def expired(key: str) -> dict[str, Any]:
    meta = {"uid": None, "umd": None, "expired": True}
    return {"event": UPDATED, "channel": LOBBY, "key": key, "data": None, "meta": meta}


def expiry_events(stack: StackHandle, key: str) -> list[dict[str, Any]]:
    return [
        e
        for e in stack.events(UPDATED)
        if e["data"]["key"] == key and e["data"].get("expired") is True
    ]


def write_unscheduled(stack: StackHandle, key: str, expires_at: float) -> None:
    """An expiring entry written straight into the table (the stack shares this process's
    moto), so no schedule clears it: only the TTL sweep will."""
    from opensock.adapters.dynamodb.storage_table import StorageTable
    from opensock.domain.model import Member, Origin
    from opensock.domain.storage_model import StorageEntry

    entry = StorageEntry(
        LOBBY, key, "boo", Member(None), math.ceil(expires_at), False, Origin("server.lambda")
    )
    StorageTable(stack.environment["TABLE_NAME"]).put(entry, time.time())


def test_observers_see_entries_expire_at_their_time(stack: StackHandle) -> None:
    async def scenario() -> None:
        # GIVEN an observer, a typist whose writes live 3 s, two referees (2 s and 6 s)
        watcher, _ = await open_client(stack, "watcher", {"*": {"observe": True}}, subscribe=True)
        await subscribe(watcher, "watcher")
        typing = {"typing.*": {"set": True, "store": 3, "emitPubSubEvent": True}}
        typist, _ = await open_client(stack, "ann", typing)
        short, _ = await open_client(stack, "short", {"round": {"set": True, "store": 2}})
        long, _ = await open_client(stack, "long", {"round": {"set": True, "store": 6}})
        timer = {"set": True, "store": 2, "scheduleBefore": int(time.time()) + 300}
        referee, _ = await open_client(stack, "referee", {"timer": timer})
        # WHEN the typist writes once, and nothing else touches the key
        written = time.time()
        await typist.send(
            {
                "event": "hotsock.channelStorageSet",
                "channel": LOBBY,
                "key": "typing.ann",
                "data": True,
            }
        )
        assert await watcher.recv(TIMEOUT) == updated("typing.ann", True, "ann")
        # THEN the observer sees it cleared at its expiry (ceil(write + 3)), within the precision
        assert await watcher.recv(TIMEOUT) == expired("typing.ann")
        cleared = time.time()
        assert math.ceil(written + 3) - 0.05 <= cleared <= written + 4 + PRECISION
        # AND pub/sub has the expiry event (expired: true)
        await asyncio.to_thread(
            stack.wait_event, UPDATED, lambda e: e["data"].get("expired") is True, TIMEOUT
        )

        # WHEN a 2 s entry is rewritten by a 6 s one right away
        set_round = {"event": "hotsock.channelStorageSet", "channel": LOBBY, "key": "round"}
        await short.send({**set_round, "data": "first"})
        assert await watcher.recv(TIMEOUT) == updated("round", "first", "short")
        rewritten = time.time()
        await long.send({**set_round, "data": "second"})
        assert await watcher.recv(TIMEOUT) == updated("round", "second", "long")
        # THEN the first expiry clears nothing: the next frame is the second one's, 6 s later
        assert await watcher.recv(TIMEOUT) == expired("round")
        assert time.time() >= math.ceil(rewritten + 6) - 0.05

        # AND the typist's expiry was announced once, the TTL sweep added nothing since
        assert len(await asyncio.to_thread(expiry_events, stack, "typing.ann")) == 1

        # WHEN a scheduled write with a TTL fires (ScheduledFunction schedules its expiry)
        fire = math.ceil(time.time()) + 1
        at = datetime.fromtimestamp(fire, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
        await referee.send({**set_round, "key": "timer", "data": 30, "scheduleExpression": at})
        assert await watcher.recv(TIMEOUT) == updated("timer", 30, "referee")
        applied = time.time()
        # THEN it is cleared 2 s after it was applied
        assert await watcher.recv(TIMEOUT) == expired("timer")
        assert time.time() >= math.floor(applied) + 2 - 0.05

        # WHEN the TTL sweep removes an expiring entry before its schedule (here: it has none)
        await asyncio.to_thread(write_unscheduled, stack, "ghost", time.time() + 1)
        # THEN StreamFunction tells the observers
        assert await watcher.recv(TIMEOUT) == expired("ghost")
        await asyncio.gather(*(c.close() for c in (watcher, typist, short, long, referee)))

    asyncio.run(scenario())
