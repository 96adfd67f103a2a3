"""Conditional storage writes and counters end to end (extensions, issue #19).

Real clients on the local stack: 50 players race for one seat with `ifAbsent` and exactly one
wins, the others are told the winner's version and value; 25 voters step a counter whose
ceiling is 20 and it ends at exactly 20, never above it, observers ending on 20.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e_local.test_storage import (
    LOBBY,
    TIMEOUT,
    UPDATED,
    finished_sets,
    open_client,
    subscribe,
    updated,
    wait_finished_sets,
)
from tests.local.conftest import local_stack  # noqa: F401  (the stack fixture, module scope)
from tests.local.harness import StackHandle, WsClient

pytestmark = pytest.mark.local

SET = "hotsock.channelStorageSet"


async def observer(stack: StackHandle, uid: str) -> WsClient:
    client, _ = await open_client(stack, uid, {"*": {"observe": True}}, subscribe=True)
    await subscribe(client, uid)
    return client


async def frames_until(client: WsClient, key: str) -> list[dict[str, Any]]:
    """Storage updates received up to (and without) the first one of `key`."""
    frames = []
    while (frame := await client.recv(TIMEOUT))["key"] != key:
        assert frame["event"] == UPDATED
        frames.append(frame)
    return frames


async def close(*clients: WsClient) -> None:
    await asyncio.gather(*(client.close() for client in clients))


async def mark(client: WsClient, key: str) -> None:
    await client.send({"event": SET, "channel": LOBBY, "key": key, "data": True})


def test_fifty_players_race_for_one_seat(local_stack: StackHandle) -> None:  # noqa: F811
    stack = local_stack

    async def scenario() -> None:
        # GIVEN an observer and 50 players who may set and get seats
        watcher = await observer(stack, "watcher")
        grants = {"seat.*": {"set": True, "get": True}, "done.*": {"set": True}}
        players = await asyncio.gather(*(open_client(stack, f"p{n}", grants) for n in range(50)))
        sets = await asyncio.to_thread(finished_sets, stack)
        # WHEN all of them take seat 3 at once
        await asyncio.gather(
            *(
                client.send(
                    {
                        "event": SET,
                        "channel": LOBBY,
                        "key": "seat.3",
                        "data": f"p{n}",
                        "ifAbsent": True,
                    }
                )
                for n, (client, _) in enumerate(players)
            )
        )
        await wait_finished_sets(stack, sets + 50)
        # THEN the observer saw one change: the winner's
        await mark(players[0][0], "done.race")
        (seat,) = await frames_until(watcher, "done.race")
        winner = seat["meta"]["uid"]
        assert seat == updated("seat.3", winner, winner)
        # AND every other player got the documented refusal with the winner's version and value
        for n, (client, _) in enumerate(players):
            if f"p{n}" == winner:
                continue
            assert await client.recv(TIMEOUT) == {
                "event": "hotsock.error",
                "channel": LOBBY,
                "error": {
                    "code": "STORAGE_CONDITION_FAILED",
                    "message": "the storage entry is not in the expected state",
                    "version": 1,
                    "data": winner,
                    "meta": {"uid": winner, "umd": None},
                },
            }
        # AND the winner got no error: its next frame answers its versioned get
        (client, _) = players[int(winner.removeprefix("p"))]
        await client.send(
            {
                "event": "hotsock.channelStorageGet",
                "channel": LOBBY,
                "key": "seat.3",
                "version": True,
            }
        )
        assert await client.recv(TIMEOUT) == {
            "event": "hotsock.channelStorageData",
            "channel": LOBBY,
            "key": "seat.3",
            "data": winner,
            "meta": {"uid": winner, "umd": None, "version": 1},
        }
        await close(watcher, *(client for client, _ in players))

    asyncio.run(scenario())


def test_twenty_five_voters_on_a_counter_with_a_ceiling_of_twenty(
    local_stack: StackHandle,  # noqa: F811
) -> None:
    stack = local_stack

    async def scenario() -> None:
        # GIVEN an observer and 25 voters who may set (not get) the counter
        watcher = await observer(stack, "teller")
        grants = {"votes.yes": {"set": True}, "done.*": {"set": True}, "probe": {"get": True}}
        voters = await asyncio.gather(*(open_client(stack, f"v{n}", grants) for n in range(25)))
        sets = await asyncio.to_thread(finished_sets, stack)
        # WHEN they all vote at once
        step = {"event": SET, "channel": LOBBY, "key": "votes.yes", "increment": 1, "max": 20}
        await asyncio.gather(*(client.send(step) for client, _ in voters))
        await wait_finished_sets(stack, sets + 25)
        # THEN the observer saw every count from 1 to 20, never more, and ends on 20
        await mark(voters[0][0], "done.votes")
        frames = await frames_until(watcher, "done.votes")  # after the race's snapshot
        counts = [frame["data"] for frame in frames if frame["key"] == "votes.yes"]
        assert set(counts) == set(range(1, 21)) and counts[-1] == 20
        # AND exactly five voters were refused, without the value (they may not get it); each
        # voter's refusal, if any, comes before the answer to a get sent after its vote returned
        probe = {"event": "hotsock.channelStorageGet", "channel": LOBBY, "key": "probe"}
        refusals = []
        for client, _ in voters:
            await client.send(probe)
            while (frame := await client.recv(TIMEOUT))["event"] == "hotsock.error":
                refusals.append(frame["error"])
            assert frame["event"] == "hotsock.channelStorageData"
        limit = {
            "code": "STORAGE_COUNTER_LIMIT",
            "message": "the increment would pass the counter's bound",
            "version": 20,
        }
        assert refusals == [limit] * 5
        await close(watcher, *(client for client, _ in voters))

    asyncio.run(scenario())
