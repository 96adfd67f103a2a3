"""The presence leave grace (Opensock extension, docs/extensions.md) end to end, with
`PRESENCE_LEAVE_GRACE_SECONDS=3`: a member who comes back within it flashes no
"left / joined" to anyone; one who does not is removed within grace + 5 s. Real clients on the
local stack; waits on frames and recorded invocations and events, never on sleeps.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local.harness import StackHandle
from tests.support.liveness import TIMEOUT, compressed_stack, marker, next_event, open_client
from tests.support.liveness import subscribe as join

pytestmark = pytest.mark.local
GRACE = 3
GRANTS = {"presence.*": {"subscribe": True}}


@pytest.fixture(scope="module")
def stack() -> Iterator[StackHandle]:
    yield from compressed_stack(PRESENCE_LEAVE_GRACE_SECONDS=str(GRACE))


def member_leave_fired(stack: StackHandle, channel: str, uid: str) -> None:
    """Block until LivenessFunction has finished the leave-grace timer of `uid` on `channel`."""

    def done(invocation: dict[str, Any]) -> bool:
        records = (invocation.get("event") or {}).get("Records") or []
        bodies = [json.loads(r["body"]) for r in records]
        ours = [b for b in bodies if b.get("channel") == channel and b.get("uid") == uid]
        return bool(ours) and invocation["durationMs"] is not None

    stack.wait_invocation("LivenessFunction", done, timeout=TIMEOUT)


def member_events(stack: StackHandle, uid: str) -> list[str]:
    """Pub/sub member events about `uid` (`hotsock.memberAdded/Updated/Removed`)."""
    return [
        e["type"]
        for e in stack.events()
        if e["type"].startswith("hotsock.member") and e["data"].get("uid") == uid
    ]


def settled_events(stack: StackHandle, uid: str, expected: list[str]) -> None:
    """Until the pub/sub member events about `uid` are `expected` (polls; fails after TIMEOUT)."""
    deadline = time.monotonic() + TIMEOUT
    while member_events(stack, uid) != expected:
        assert time.monotonic() < deadline, (member_events(stack, uid), expected)
        time.sleep(0.05)


def test_a_member_who_rejoins_within_the_grace_causes_no_member_frames(
    stack: StackHandle,
) -> None:
    async def scenario() -> None:
        # GIVEN Jim and Pam on a presence channel
        pam, _, _ = await open_client(stack, uid="pam", channels=GRANTS)
        await join(pam, "presence.reception")
        earlier = member_events(stack, "jim")
        jim, _, _ = await open_client(stack, uid="jim", channels=GRANTS)
        await join(jim, "presence.reception")
        await pam.recv_event("hotsock.memberAdded", timeout=TIMEOUT)
        # (the join's pub/sub event is emitted after its frames: wait for it, not just the frame)
        expected = [*earlier, "hotsock.memberAdded"]
        await asyncio.to_thread(settled_events, stack, "jim", expected)
        before = member_events(stack, "jim")
        # WHEN Jim's page reloads: his socket closes, a new one joins again within the grace
        await jim.close()
        jim, _, _ = await open_client(stack, uid="jim", channels=GRANTS)
        subscribed = await join(jim, "presence.reception")
        assert [m["uid"] for m in subscribed["data"]["members"]] == ["pam", "jim"]
        # THEN once the grace is over, Pam's next frame is a marker published after it
        await asyncio.to_thread(member_leave_fired, stack, "presence.reception", "jim")
        await marker(stack, "presence.reception", "after-grace")
        assert await next_event(pam) == "after-grace"
        # AND pub/sub has no member event for Jim's blip either
        assert member_events(stack, "jim") == before
        await jim.close()
        await pam.close()

    asyncio.run(scenario())


def test_a_member_who_does_not_come_back_is_removed_after_the_grace(
    stack: StackHandle,
) -> None:
    async def scenario() -> None:
        # GIVEN Dwight and Angela on a presence channel
        angela, _, _ = await open_client(stack, uid="angela", channels=GRANTS)
        await join(angela, "presence.annex")
        dwight, _, _ = await open_client(stack, uid="dwight", channels=GRANTS)
        await join(dwight, "presence.annex")
        await angela.recv_event("hotsock.memberAdded", timeout=TIMEOUT)
        # WHEN Dwight leaves for good
        await dwight.close()
        left = time.monotonic()
        # THEN Angela is told, after the grace and within grace + 5 s
        removed = await angela.recv_event("hotsock.memberRemoved", timeout=GRACE + 5 + 1)
        assert GRACE - 0.5 <= time.monotonic() - left <= GRACE + 5
        assert removed == {
            "event": "hotsock.memberRemoved",
            "channel": "presence.annex",
            "data": {
                "member": {"uid": "dwight", "umd": None},
                "members": [{"uid": "angela", "umd": None}],
            },
        }
        await asyncio.to_thread(
            stack.wait_event, "hotsock.memberRemoved", lambda e: e["data"]["uid"] == "dwight"
        )
        await angela.close()

    asyncio.run(scenario())
