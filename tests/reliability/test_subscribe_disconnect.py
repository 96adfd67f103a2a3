"""A subscribe interrupted by its connection's `$disconnect` after each of its requests.

The standard join is three ordered writes, not a transaction (adapters/dynamodb/
subscription_join.py): the subscription, its count, then the connection's claim. Whichever
request `$disconnect` follows, nothing may be left behind: no subscription, no member, no
count. With gsi1 lagging (the subscribe's item not indexed yet) `$disconnect` finds a committed
subscription only through the connection item's `channels` set, so a claim written before the
subscription (the wrong order) leaves an orphan here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opensock.domain.model import Subscription
from tests.reliability.drive import ws, ws_raw
from tests.reliability.kit import table_items
from tests.support.channels import open_connection
from tests.support.events import ws_event
from tests.support.stack import Stack

CID = "Gone2Conn="
GRANTS = {"room": {"subscribe": True}, "presence.room": {"subscribe": True}}
REQUESTS = {"room": 4, "presence.room": 3}
"""The subscribe's DynamoDB requests: standard GetItem connection, UpdateItem count (its new
value picks the lane), PutItem subscription, UpdateItem connection; presence BatchGetItem
(connection and the channel's count, the lane), Query members, the transaction."""


class DisconnectAfter:
    """Runs `$disconnect` right after the subscribe's `n`-th DynamoDB request returns."""

    def __init__(self, stack: Stack, n: int) -> None:
        self.stack, self.n = stack, n
        self.seen: list[str] = []
        self.fired = False

    def __call__(self, model: Any, **_: Any) -> None:
        if self.fired:
            return  # the disconnect's own requests
        self.seen.append(model.name)
        if len(self.seen) == self.n:
            self.fired = True
            ws_raw(self.stack, "disconnect", ws_event("disconnect", connection_id=CID))


@pytest.fixture
def lagging_index(request: pytest.FixtureRequest, rel_stack: Stack) -> Iterator[bool]:
    """With `True`, gsi1 has indexed none of the connection's subscriptions."""
    lag = bool(request.param)
    real = rel_stack.subscriptions.list_for_connection

    def list_for_connection(connection_id: str, **options: bool) -> list[Subscription]:
        return [] if lag and connection_id == CID else real(connection_id, **options)

    rel_stack.subscriptions.list_for_connection = list_for_connection  # type: ignore[method-assign]
    yield lag


def _subscribe_interrupted(stack: Stack, channel: str, n: int) -> tuple[Any, DisconnectAfter]:
    hook = DisconnectAfter(stack, n)
    events = stack.subscriptions.client.meta.events
    events.register("after-call.dynamodb", hook)
    try:
        _, frame = ws(
            stack, "subscribe", {"event": "hotsock.subscribe", "channel": channel}, cid=CID
        )
    finally:
        events.unregister("after-call.dynamodb", hook)
    return frame, hook


def _leftovers(stack: Stack) -> list[tuple[str, str]]:
    return [
        (item["pk"], item["sk"])
        for item in table_items(stack)
        if CID in item["pk"] + item["sk"] or item["sk"].startswith("member#")
    ]


def _counts(stack: Stack) -> list[int]:
    metas = [item for item in table_items(stack) if item["sk"] == "meta"]
    return [int(item.get("subscriptionsCount", 0)) for item in metas]


CASES = [(channel, n) for channel, total in REQUESTS.items() for n in range(1, total + 1)]


@pytest.mark.parametrize("lagging_index", [False, True], indirect=True)
@pytest.mark.parametrize(("channel", "n"), CASES)
def test_a_disconnect_after_any_request_of_a_subscribe_leaves_nothing(
    rel_stack: Stack, lagging_index: bool, channel: str, n: int
) -> None:
    # GIVEN an open connection (and gsi1 lagging or not)
    stack = rel_stack
    open_connection(stack, CID, GRANTS, uid="g")
    # WHEN it subscribes and `$disconnect` runs right after the subscribe's n-th request
    frame, hook = _subscribe_interrupted(stack, channel, n)
    # THEN the disconnect ran there, and nothing of the connection is left, nor counted
    assert hook.fired
    assert _leftovers(stack) == []
    assert all(count == 0 for count in _counts(stack))
    # AND the subscribe answers no error frame: a connection gone is not the client's error
    assert frame is None
    claimed = n == REQUESTS[channel]  # the disconnect came after the subscribe's last write
    events = [f["event"] for f in stack.gateway.frames.get(CID, [])]  # type: ignore[attr-defined]
    assert events == (["hotsock.subscribed"] if claimed else [])


@pytest.mark.parametrize("lagging_index", [True], indirect=True)
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_a_resubscribe_checks_the_connection_after_its_put(
    rel_stack: Stack, lagging_index: bool, n: int
) -> None:
    # GIVEN a connection that subscribed to "room" and left it (the channel stays recorded)
    stack = rel_stack
    open_connection(stack, CID, GRANTS, uid="g")
    ws(stack, "subscribe", {"event": "hotsock.subscribe", "channel": "room"}, cid=CID)
    ws(stack, "unsubscribe", {"event": "hotsock.unsubscribe", "channel": "room"}, cid=CID)
    stack.gateway.frames.clear()  # type: ignore[attr-defined]
    # WHEN it subscribes again (a consistent read of the connection, not an update, after the
    # put) and `$disconnect` runs after the n-th request, with gsi1 lagging
    frame, hook = _subscribe_interrupted(stack, "room", n)
    # THEN nothing is left: the recorded channel led the disconnect to the subscription
    assert hook.seen == ["GetItem", "UpdateItem", "PutItem", "GetItem"][:n]
    assert _leftovers(stack) == []
    assert _counts(stack) == [0]
    assert frame is None
