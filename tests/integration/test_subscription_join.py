"""The standard join's ordered writes (adapters/dynamodb/subscription_join.py) against moto:
what each write does, and what a failure after the subscription's put takes back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from opensock.domain.model import Subscription
from opensock.errors import AlreadySubscribedError, ConnectionGoneError
from tests.support.channels import open_connection
from tests.support.fakes import FrozenClock
from tests.support.stack import Stack

CHANNEL = "room"


def new_sub(stack: Stack, cid: str = "A", *, omit: bool = False) -> Subscription:
    return Subscription(
        channel=CHANNEL,
        connection_id=cid,
        uid="u",
        umd=None,
        created_at=stack.clock(),
        expires_at=int(stack.clock()) + 7200,
        omit_from_count=omit,
    )


def throttled(operation: str) -> ClientError:
    error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}
    return ClientError(error, operation)  # type: ignore[arg-type]


def fail_update(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, when: Callable[[dict[str, Any]], bool]
) -> list[str]:
    """Every UpdateItem matching `when` raises a throttling error; returns their key kinds."""
    client = stack.subscriptions.client
    real = client.update_item
    failed: list[str] = []

    def update_item(**kwargs: Any) -> Any:
        if when(kwargs):
            failed.append(kwargs["Key"]["sk"]["S"])
            raise throttled("UpdateItem")
        return real(**kwargs)

    monkeypatch.setattr(client, "update_item", update_item)
    return failed


def test_a_join_puts_counts_and_records(channel_stack: Stack) -> None:
    # GIVEN an open connection
    stack = channel_stack
    open_connection(stack, "A", uid="u")
    # WHEN a subscription joins, recording its channel
    total = stack.subscriptions.join(new_sub(stack), record=True)
    # THEN it is there, counted (the new count returned), and recorded on the connection
    assert total == 1
    assert stack.subscriptions.get(CHANNEL, "A") is not None
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 1
    connection = stack.connections.get("A")
    assert connection is not None and connection.channels == frozenset({CHANNEL})


def test_a_join_without_record_leaves_the_channels_set_alone(channel_stack: Stack) -> None:
    stack = channel_stack
    open_connection(stack, "A", uid="u")
    assert stack.subscriptions.join(new_sub(stack), record=False) == 1
    connection = stack.connections.get("A")
    assert connection is not None and connection.channels == frozenset()


def test_a_second_join_is_already_subscribed_and_counts_nothing(channel_stack: Stack) -> None:
    stack = channel_stack
    open_connection(stack, "A", uid="u")
    stack.subscriptions.join(new_sub(stack))
    with pytest.raises(AlreadySubscribedError):
        stack.subscriptions.join(new_sub(stack))
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 1


@pytest.mark.parametrize("record", [True, False])
def test_an_expired_connection_is_gone(
    channel_stack: Stack, clock: FrozenClock, record: bool
) -> None:
    # GIVEN a connection record past its expiresAt (TTL has not deleted it yet)
    stack = channel_stack
    open_connection(stack, "A", uid="u")
    clock.advance(7201)
    # WHEN a subscription joins
    with pytest.raises(ConnectionGoneError):
        stack.subscriptions.join(new_sub(stack), record=record)
    # THEN nothing is left: no subscription, count back to zero
    assert stack.subscriptions.get(CHANNEL, "A") is None
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 0


def test_an_uncounted_subscription_is_undone_without_touching_the_count(
    channel_stack: Stack,
) -> None:
    # GIVEN a subscription that is not counted (omitFromSubCount), and one counted before it
    stack = channel_stack
    open_connection(stack, "B", uid="u")
    stack.subscriptions.join(new_sub(stack, "B"))
    # WHEN it joins for a connection that is gone
    with pytest.raises(ConnectionGoneError):
        stack.subscriptions.join(new_sub(stack, "A", omit=True))
    # THEN it is removed and the count is the other subscription's only
    assert stack.subscriptions.get(CHANNEL, "A") is None
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 1


@pytest.mark.parametrize("failing", ["meta", "conn"])
def test_a_failed_write_after_the_put_undoes_the_join(
    channel_stack: Stack, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    # GIVEN one counted subscription, then the count's or the claim's update failing for
    # another reason than its condition (throttled)
    stack = channel_stack
    for cid in ("A", "B"):
        open_connection(stack, cid, uid="u")
    stack.subscriptions.join(new_sub(stack, "B"))
    failed = fail_update(stack, monkeypatch, lambda kwargs: kwargs["Key"]["sk"]["S"] == failing)
    # WHEN another joins
    with pytest.raises(ClientError):
        stack.subscriptions.join(new_sub(stack, "A"), record=True)
    # THEN the error is the caller's; the subscription is removed, and the count is taken back
    # only if it had gone up (a failed count is not decremented)
    assert failed == [failing]
    monkeypatch.undo()
    assert stack.subscriptions.get(CHANNEL, "A") is None
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 1


def lane_of_count(seen: list[int]) -> Callable[[int], int]:
    """A lane chooser that records the count it was given and answers count + 100."""

    def lane_for(count: int) -> int:
        seen.append(count)
        return count + 100

    return lane_for


def test_a_join_with_a_lane_to_choose_counts_first_and_stores_the_lane(
    channel_stack: Stack,
) -> None:
    # GIVEN a channel of two subscriptions and an open connection
    stack = channel_stack
    for cid in ("A", "B", "C"):
        open_connection(stack, cid, uid="u")
    for cid in ("B", "C"):
        stack.subscriptions.join(new_sub(stack, cid))
    # WHEN a third joins with a lane to choose
    seen: list[int] = []
    total = stack.subscriptions.join(new_sub(stack, "A"), lane_for=lane_of_count(seen))
    # THEN its lane came from the count before it (2), read from the count's own update, and
    # is stored with it
    assert (total, seen) == (3, [2])
    sub = stack.subscriptions.get(CHANNEL, "A")
    assert sub is not None and sub.lane == 102


def test_a_count_first_join_already_subscribed_takes_its_count_back(
    channel_stack: Stack,
) -> None:
    stack = channel_stack
    open_connection(stack, "A", uid="u")
    stack.subscriptions.join(new_sub(stack), lane_for=lane_of_count([]))
    with pytest.raises(AlreadySubscribedError):
        stack.subscriptions.join(new_sub(stack), lane_for=lane_of_count([]))
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 1


def test_a_count_first_join_of_a_gone_connection_leaves_nothing(channel_stack: Stack) -> None:
    # GIVEN a counted subscription of another connection, and no connection "A"
    stack = channel_stack
    open_connection(stack, "B", uid="u")
    stack.subscriptions.join(new_sub(stack, "B"))
    # WHEN "A" joins with a lane to choose
    with pytest.raises(ConnectionGoneError):
        stack.subscriptions.join(new_sub(stack, "A"), lane_for=lane_of_count([]))
    # THEN its subscription is removed and its count taken back
    assert stack.subscriptions.get(CHANNEL, "A") is None
    assert stack.channel_meta.subscriptions_count(CHANNEL) == 1


def test_an_uncounted_join_ignores_the_lane_chooser(channel_stack: Stack) -> None:
    # An uncounted subscription has its lane chosen before (Subscriptions._lane): no count.
    stack = channel_stack
    open_connection(stack, "A", uid="u")
    seen: list[int] = []
    assert stack.subscriptions.join(new_sub(stack, omit=True), lane_for=lane_of_count(seen)) is None
    assert seen == [] and stack.channel_meta.subscriptions_count(CHANNEL) == 0
