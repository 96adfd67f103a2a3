"""DynamoDB TTL, played: expired items are deleted and delivered as stream records.

Every ~0.5 s the table is scanned for items whose TTL attribute (a Number, epoch seconds) is
<= now. Each is deleted (conditionally, so an item extended meanwhile survives) and becomes a
`REMOVE` record with the old image and the TTL service's `userIdentity`. Records reach each
stream-wired function whose `FilterCriteria` match, in batches of its `BatchSize`. Only TTL
removals are emulated: writes by handlers produce no stream records locally.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from tools.local import records
from tools.local.filters import matches_any
from tools.local.invoker import HandlerError, Invoker
from tools.local.wiring import EventSource

log = logging.getLogger("tools.local")
SWEEP_SECONDS = 0.5


class TtlSweeper:
    def __init__(
        self,
        table_name: str,
        ttl_attribute: str,
        key_names: list[str],
        view_type: str,
        stream_arn: str,
        sources: list[EventSource],
        invoker: Invoker,
        dynamodb: Any,
        region: str,
    ) -> None:
        self.table_name = table_name
        self.ttl_attribute = ttl_attribute
        self.key_names = key_names
        self.view_type = view_type
        self.stream_arn = stream_arn
        self.sources = sources
        self.invoker = invoker
        self.dynamodb = dynamodb
        self.region = region
        self._sequence = 0

    async def run(self) -> None:
        while True:
            records = await asyncio.to_thread(self.sweep)
            if records:
                await self.deliver(records)
            await asyncio.sleep(SWEEP_SECONDS)

    def sweep(self, now: int | None = None) -> list[dict[str, Any]]:
        now = int(time.time()) if now is None else now
        names = {f"#k{i}": name for i, name in enumerate(self.key_names)} | {
            "#ttl": self.ttl_attribute
        }
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.table_name,
            FilterExpression="#ttl <= :now",
            ProjectionExpression=", ".join(n for n in names if n != "#ttl"),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
        keys = [item for page in pages for item in page.get("Items") or []]
        return [r for r in (self._expire(key, now) for key in keys) if r is not None]

    def _expire(self, key: dict[str, Any], now: int) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            response = self.dynamodb.delete_item(
                TableName=self.table_name,
                Key=key,
                ConditionExpression="#ttl <= :now",
                ExpressionAttributeNames={"#ttl": self.ttl_attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        self._sequence += 1
        return records.ttl_removal_record(
            key,
            response.get("Attributes"),
            self.view_type,
            self.stream_arn,
            self.region,
            self._sequence,
        )

    async def deliver(self, records: list[dict[str, Any]]) -> None:
        for source in self.sources:
            matched = [r for r in records if matches_any(source.filters, r)]
            for start in range(0, len(matched), source.batch_size):
                batch = matched[start : start + source.batch_size]
                try:
                    await self.invoker.invoke(source.function, {"Records": batch})
                except HandlerError:
                    log.warning(
                        "%s failed a stream batch of %d (dropped locally)",
                        source.function,
                        len(batch),
                    )
