"""Publish deduplication ids (`dedup#{id}` / `dedup`): one conditional put per id and window."""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import to_item, to_value
from opensock.clock import Clock, system_clock


class DedupTable(TableAdapter):
    def __init__(self, table_name: str, client: Any = None, clock: Clock = system_clock) -> None:
        super().__init__(table_name, client)
        self._clock = clock

    def claim(self, deduplication_id: str, window_seconds: int) -> bool:
        """True for the first use of the id within the window; False for a duplicate."""
        from botocore.exceptions import ClientError

        now = int(self._clock())
        item = {
            "pk": f"dedup#{deduplication_id}",
            "sk": "dedup",
            keys.TTL_ATTRIBUTE: now + window_seconds,
        }
        try:
            self.client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk) OR #ttl <= :now",
                ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": to_value(now)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, deduplication_id: str) -> None:
        """Forget a claim (its work failed, so a retry must not be dropped as a repeat)."""
        key = to_item({"pk": f"dedup#{deduplication_id}", "sk": "dedup"})
        self.client.delete_item(TableName=self._table, Key=key)
