"""gsi1 lag: a subscription committed just before `$disconnect` is still cleaned up.

gsi1 is eventually consistent, so a subscribe whose transaction committed a few ms before the
connection's delete may be missing from the index. Each subscribe also records its channel in
the connection item's `channels` set, in the same transaction; the delete returns the set
atomically. These tests simulate the lag deterministically: `list_for_connection` (the gsi1
query) answers nothing for the leaving connection.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from functions.disconnect.app import lambda_handler as disconnect_handler
from functions.umd_update.app import lambda_handler as umd_handler
from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.codec import to_item
from opensock.adapters.dynamodb.subscription_table import connection_claim
from opensock.app.subscriptions import RECORDED_CHANNELS_MAX_BYTES
from opensock.domain.fanout_jobs import FanoutJob
from opensock.domain.model import Subscription
from opensock.jsoncodec import loads
from tests.support.calls import subscribe, unsubscribe
from tests.support.channels import gateway, open_connection, pubsub
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack
from tests.support.tokens import mint

ROOM = "presence.room"
STD = "std"
GRANTS = {"presence.*": {"subscribe": True}, STD: {"subscribe": True}}


def lagging_index(stack: Stack, monkeypatch: pytest.MonkeyPatch, cid: str) -> list[str]:
    """gsi1 has not caught up with any of `cid`'s subscriptions; returns the queried ids."""
    real = stack.subscriptions.list_for_connection
    queried: list[str] = []

    def list_for_connection(connection_id: str, **options: bool) -> list[Subscription]:
        queried.append(connection_id)
        return [] if connection_id == cid else real(connection_id, **options)

    monkeypatch.setattr(stack.subscriptions, "list_for_connection", list_for_connection)
    return queried


@pytest.fixture
def sam_and_leo(channel_stack: Stack) -> Stack:
    """SAM on the presence room; LEO joins it and a standard channel, then events are cleared."""
    stack = channel_stack
    subscribe(open_connection(stack, "SAM", GRANTS, uid="sam"), ROOM, stack)
    leo = open_connection(stack, "LEO", GRANTS, uid="leo")
    subscribe(leo, ROOM, stack)
    subscribe(leo, STD, stack)
    assert stack.channel_meta.subscriptions_count(ROOM) == 2
    assert stack.channel_meta.subscriptions_count(STD) == 1
    pubsub(stack).envelopes.clear()
    return stack


def member_uids(stack: Stack) -> list[str]:
    return [state.uid for state in stack.members.members(ROOM)]


def unsubscribed_ids(stack: Stack) -> list[tuple[str, str]]:
    events = pubsub(stack).of_type("hotsock.unsubscribed")
    return sorted((e["data"]["channel"], e["data"]["connectionId"]) for e in events)


def assert_leo_left(stack: Stack) -> None:
    """LEO's member is gone, SAM was told, counts are back, pub/sub saw both unsubscribes."""
    assert member_uids(stack) == ["sam"]
    assert gateway(stack).events("SAM")[-1] == "hotsock.memberRemoved"
    assert stack.channel_meta.subscriptions_count(ROOM) == 1  # SAM's only
    assert stack.channel_meta.subscriptions_count(STD) == 0
    assert stack.subscriptions.get(ROOM, "LEO") is None
    assert stack.subscriptions.get(STD, "LEO") is None
    assert unsubscribed_ids(stack) == [(ROOM, "LEO"), (STD, "LEO")]
    assert len(pubsub(stack).of_type("hotsock.memberRemoved")) == 1
    assert pubsub(stack).envelopes[-1]["type"] == "hotsock.disconnected"


def disconnect(stack: Stack, cid: str) -> None:
    event = ws_event("disconnect", connection_id=cid)
    disconnect_handler(event, FakeLambdaContext(), app=stack.app)


def test_subscribe_records_the_channel_on_the_connection(sam_and_leo: Stack) -> None:
    leo = sam_and_leo.connections.get("LEO")
    assert leo is not None
    assert leo.channels == {ROOM, STD}


def test_disconnect_during_index_lag_leaves_no_ghost_member(
    sam_and_leo: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN gsi1 does not list LEO's subscriptions yet
    queried = lagging_index(sam_and_leo, monkeypatch, "LEO")
    # WHEN LEO disconnects
    disconnect(sam_and_leo, "LEO")
    # THEN the index was asked (and lagged), and the `channels` set still cleaned everything up
    assert queried == ["LEO"]
    assert_leo_left(sam_and_leo)


def test_prune_during_index_lag_leaves_no_ghost_member(
    sam_and_leo: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN LEO died without `$disconnect` (410, confirmed) and gsi1 lags
    queried = lagging_index(sam_and_leo, monkeypatch, "LEO")
    gateway(sam_and_leo).gone.add("LEO")
    # WHEN a fan-out on the standard channel meets the 410
    report = sam_and_leo.fanout.deliver(FanoutJob(STD, {"event": "x", "channel": STD}))
    # THEN LEO is pruned from both channels, record included, from the `channels` set
    assert (report.gone, report.pruned) == (["LEO"], 1)
    assert queried == ["LEO"]
    assert sam_and_leo.connections.get("LEO") is None
    assert_leo_left(sam_and_leo)


def test_umd_propagation_during_index_lag_reaches_every_channel(
    sam_and_leo: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN gsi1 does not list LEO's subscriptions yet
    queried = lagging_index(sam_and_leo, monkeypatch, "LEO")
    token = mint(
        {"uid": "leo", "umd": "new", "umdUpdate": True, "umdPropagate": True},
        scope="umd",
        now=sam_and_leo.clock(),
    )
    body = {"event": "hotsock.umdUpdate", "data": {"token": token}}
    # WHEN LEO updates its connection-level umd with umdPropagate
    event = ws_event("umd_update", connection_id="LEO", body=body)
    response = umd_handler(event, FakeLambdaContext(), app=sam_and_leo.app)
    # THEN both subscriptions carry it, and SAM saw LEO's new umd in the room
    assert "body" not in response or loads(response["body"]) == {}
    assert queried == ["LEO"]
    for channel in (ROOM, STD):
        sub = sam_and_leo.subscriptions.get(channel, "LEO")
        assert sub is not None and sub.umd == "new"
    frames = [
        f for f in gateway(sam_and_leo).frames["SAM"] if f["event"] == "hotsock.memberUpdated"
    ]
    assert frames[-1]["data"]["member"] == {"uid": "leo", "umd": "new"}


def test_a_channel_left_earlier_is_skipped_on_disconnect(sam_and_leo: Stack) -> None:
    # GIVEN LEO unsubscribed from the standard channel (its name stays in the `channels` set)
    unsubscribe("LEO", STD, sam_and_leo)
    leo = sam_and_leo.connections.get("LEO")
    assert leo is not None and STD in leo.channels
    pubsub(sam_and_leo).envelopes.clear()
    # WHEN LEO disconnects
    disconnect(sam_and_leo, "LEO")
    # THEN only the room is left, once; the standard channel's count is not touched again
    assert unsubscribed_ids(sam_and_leo) == [(ROOM, "LEO")]
    assert sam_and_leo.channel_meta.subscriptions_count(STD) == 0
    assert member_uids(sam_and_leo) == ["sam"]


def test_past_the_budget_the_index_still_cleans_up(channel_stack: Stack) -> None:
    # GIVEN a connection whose `channels` set already holds the whole budget
    stack = channel_stack
    full = frozenset(f"{i:015d}" for i in range(RECORDED_CHANNELS_MAX_BYTES // 15))
    conn = open_connection(stack, "BIG", GRANTS, uid="big")
    conn = replace(conn, channels=full)
    stack.connections.put(conn)
    # WHEN it subscribes to one more channel
    assert subscribe(conn, STD, stack) is not None
    # THEN the name is not recorded (the item stays bounded) and the subscription is counted
    stored = stack.connections.get("BIG")
    assert stored is not None and stored.channels == full
    assert stack.channel_meta.subscriptions_count(STD) == 1
    # AND `$disconnect` finds it through gsi1 (also how items from before the set are found)
    disconnect(stack, "BIG")
    assert stack.subscriptions.get(STD, "BIG") is None
    assert stack.channel_meta.subscriptions_count(STD) == 0


def test_a_subscribe_after_disconnect_does_not_recreate_the_connection(
    channel_stack: Stack,
) -> None:
    # GIVEN the connection's record deleted between the route's read and the transaction
    conn = open_connection(channel_stack, "GONE", GRANTS, uid="g")
    channel_stack.connections.delete("GONE")
    # WHEN it subscribes (standard and presence)
    for channel in (STD, ROOM):
        assert subscribe(conn, channel, channel_stack) is None
    # THEN the conditional Update wrote nothing: no connection item, no subscription
    key = to_item({"pk": keys.connection_pk("GONE"), "sk": keys.CONNECTION_SK})
    raw: dict[str, Any] = channel_stack.connections.client.get_item(
        TableName=channel_stack.settings.table_name, Key=key, ConsistentRead=True
    )
    assert "Item" not in raw
    assert channel_stack.subscriptions.get(STD, "GONE") is None
    assert member_uids(channel_stack) == []


def test_connection_claim_records_or_only_checks() -> None:
    update = connection_claim("T", "C", 100.0, "presence.x")["Update"]
    assert update["UpdateExpression"] == "ADD #channels :channel"
    assert update["ExpressionAttributeValues"][":channel"] == {"SS": ["presence.x"]}
    assert update["ConditionExpression"] == "attribute_exists(pk) AND #ttl > :now"
    check = connection_claim("T", "C", 100.0, None)["ConditionCheck"]
    assert check["ConditionExpression"] == update["ConditionExpression"]
    assert "UpdateExpression" not in check


def test_consistent_reads_page_past_a_hundred_keys(channel_stack: Stack) -> None:
    # GIVEN 120 subscriptions of one connection, and one name without a subscription
    stack = channel_stack
    conn = open_connection(stack, "MANY", GRANTS)
    names = [f"c{i:03d}" for i in range(120)]
    for name in names:
        stack.subscriptions.put(
            Subscription(name, "MANY", None, None, stack.clock(), conn.expires_at)
        )
    # WHEN they are read by key (two BatchGetItem pages)
    found = stack.subscriptions.get_many("MANY", [*reversed(names), "nothing"])
    # THEN every one comes back, in the order asked, the missing one left out
    assert [sub.channel for sub in found] == list(reversed(names))
