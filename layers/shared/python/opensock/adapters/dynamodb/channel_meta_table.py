"""Channel meta items (`chan#{channel}` / `meta`): the subscription count and presence bytes."""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value


class ChannelMetaTable(TableAdapter):
    def _key(self, channel: str) -> dict[str, Any]:
        return to_item({"pk": keys.channel_pk(channel), "sk": keys.CHANNEL_META_SK})

    def add_subscriptions(self, channel: str, delta: int) -> int:
        """Add to `subscriptionsCount`; returns the new count (never below zero when read)."""
        response = self.client.update_item(
            TableName=self._table,
            Key=self._key(channel),
            UpdateExpression="ADD subscriptionsCount :d",
            ExpressionAttributeValues={":d": to_value(delta)},
            ReturnValues="UPDATED_NEW",
        )
        return max(int(from_item(response["Attributes"]).get("subscriptionsCount", 0)), 0)

    def subscriptions_count(self, channel: str, *, consistent: bool = False) -> int:
        response = self.client.get_item(
            TableName=self._table,
            Key=self._key(channel),
            ConsistentRead=consistent,
            ProjectionExpression="subscriptionsCount",
        )
        values = from_item(response.get("Item", {}))
        return max(int(values.get("subscriptionsCount", 0)), 0)
