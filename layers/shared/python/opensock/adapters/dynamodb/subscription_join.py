"""A standard channel's join without a transaction, in an order that keeps the race with
`$disconnect` closed (docs/decisions.md, 2026-12-06 "Subscribe without a transaction").

1. Put the subscription (absent or expired, else AlreadySubscribedError).
2. Count it: `ADD subscriptionsCount 1` on the channel's meta item, returning the new count.
3. Claim the connection, strongly consistent, *after* the put: an UpdateItem that adds the
   channel to the connection's `channels` set (condition: the item exists and has not
   expired) or, when nothing is to be added, a consistent GetItem of the item.

A failed claim undoes 1 and 2 and raises ConnectionGoneError. With a lane to choose
(`count_first`), 2 comes before 1: the new count picks the subscription's lane
(`domain/lanes.py`), so no read of the count is needed; a put that fails takes the count
back. The race needs only the put before the claim. Why no orphan is left:
`$disconnect` deletes the connection item before it reads the subscriptions. A delete before
the claim fails the claim, and the subscription is removed here. A delete after the claim
returns (ALL_OLD) a `channels` set holding the channel, and the subscription, written before
the claim, is then read strongly consistent from the base table, whatever gsi1's lag. Only a
channel past the set's budget relies on gsi1 alone, as it did inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.channel_meta_table import ChannelMetaTable
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.domain.model import Subscription
from opensock.errors import ConnectionGoneError


class OrderedJoin:
    """Steps 2-3 and the undo; step 1 is the caller's conditional put."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client
        self._meta = ChannelMetaTable(table_name, client)

    def after_put(self, sub: Subscription, now: float, *, record: bool) -> int | None:
        """Count the subscription and claim its connection; the channel's new count (None
        when the subscription is not counted). Any failure undoes the put (and the count)."""
        total = None
        if not sub.omit_from_count:
            try:
                total = self._meta.add_subscriptions(sub.channel, 1)
            except BaseException:
                self.undo(sub, counted=False)
                raise
        self._claim_or_undo(sub, now, record=record, counted=total is not None)
        return total

    def count_first(
        self,
        sub: Subscription,
        now: float,
        put: Callable[[Subscription], None],
        lane_for: Callable[[int], int],
        *,
        record: bool,
    ) -> int:
        """Count, put the subscription with the lane `lane_for(count before it)`, claim the
        connection; the channel's new count. A failed put takes the count back; a failed
        claim undoes both."""
        total = self._meta.add_subscriptions(sub.channel, 1)
        sub = replace(sub, lane=lane_for(max(total - 1, 0)))
        try:
            put(sub)
        except BaseException:
            self._meta.add_subscriptions(sub.channel, -1)
            raise
        self._claim_or_undo(sub, now, record=record, counted=True)
        return total

    def _claim_or_undo(self, sub: Subscription, now: float, *, record: bool, counted: bool) -> None:
        try:
            self._claim(sub.connection_id, sub.channel if record else None, now)
        except BaseException:
            self.undo(sub, counted=counted)
            raise

    def undo(self, sub: Subscription, *, counted: bool) -> None:
        """Remove the subscription just put. Only the delete that finds it takes the count
        back: when a racing `$disconnect` removed it first, that cleanup did."""
        key = to_item(
            {"pk": keys.channel_pk(sub.channel), "sk": keys.subscription_sk(sub.connection_id)}
        )
        response = self._client.delete_item(TableName=self._table, Key=key, ReturnValues="ALL_OLD")
        if counted and "Attributes" in response:
            self._meta.add_subscriptions(sub.channel, -1)

    def _claim(self, connection_id: str, record: str | None, now: float) -> None:
        key = to_item({"pk": keys.connection_pk(connection_id), "sk": keys.CONNECTION_SK})
        if record is None:
            response = self._client.get_item(
                TableName=self._table,
                Key=key,
                ConsistentRead=True,
                ProjectionExpression="#ttl",
                ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE},
            )
            values = from_item(response["Item"]) if "Item" in response else None
            if values is None or not keys.is_live(values.get(keys.TTL_ATTRIBUTE), now):
                raise ConnectionGoneError(connection_id)
            return
        from botocore.exceptions import ClientError

        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD #channels :channel",
                ConditionExpression="attribute_exists(pk) AND #ttl > :now",
                ExpressionAttributeNames={
                    "#channels": keys.CHANNELS_ATTRIBUTE,
                    "#ttl": keys.TTL_ATTRIBUTE,
                },
                ExpressionAttributeValues={
                    ":channel": to_value({record}),
                    ":now": to_value(int(now)),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConnectionGoneError(connection_id) from exc
            raise
