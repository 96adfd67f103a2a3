"""Lane state items (`chan#{channel}` / `lane#{n}`): the connections that fell out of a lane.

`diverted` (string set) lists them; `b:{connection id}` (one number attribute per busy
connection) holds when its in-flight post has ended at the latest; `f:{id}` / `d:{id}` count the
copies forwarded to its own group and those that group finished. A diverted connection returns
to its lane (`restore`, conditional on both counts) once they are equal and nothing is in
flight. The item expires `KEEP_SECONDS` after its last change: longer than any connection lives
(2 h), so a diverted connection never silently returns to its lane.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.clock import Clock, system_clock
from opensock.domain.lanes import LaneState

KEEP_SECONDS = 3 * 3600
BUSY_PREFIX = "b:"
FORWARDED_PREFIX = "f:"
DONE_PREFIX = "d:"


def _counts(values: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return {
        name.removeprefix(prefix): int(value)
        for name, value in values.items()
        if name.startswith(prefix)
    }


class LaneTable(TableAdapter):
    def __init__(self, table_name: str, client: Any = None, clock: Clock = system_clock) -> None:
        super().__init__(table_name, client)
        self._clock = clock

    def _key(self, channel: str, lane: int) -> dict[str, Any]:
        return to_item({"pk": keys.channel_pk(channel), "sk": keys.lane_sk(lane)})

    def get(self, channel: str, lane: int) -> LaneState:
        response = self.client.get_item(
            TableName=self._table, Key=self._key(channel, lane), ConsistentRead=True
        )
        values = from_item(response.get("Item", {}))
        if not values or not keys.is_live(values.get(keys.TTL_ATTRIBUTE), self._clock()):
            return LaneState()
        busy = {
            name.removeprefix(BUSY_PREFIX): float(value)
            for name, value in values.items()
            if name.startswith(BUSY_PREFIX)
        }
        return LaneState(
            frozenset(values.get("diverted", ())),
            busy,
            _counts(values, FORWARDED_PREFIX),
            _counts(values, DONE_PREFIX),
        )

    def divert(self, channel: str, lane: int, connection_ids: Sequence[str], until: float) -> None:
        names = {f"#b{i}": f"{BUSY_PREFIX}{cid}" for i, cid in enumerate(connection_ids)}
        busy = ", ".join(f"{name} = :until" for name in names)
        self.client.update_item(
            TableName=self._table,
            Key=self._key(channel, lane),
            UpdateExpression=f"SET #ttl = :ttl, {busy} ADD diverted :ids",
            ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE, **names},
            ExpressionAttributeValues={
                ":ttl": to_value(int(self._clock()) + KEEP_SECONDS),
                ":until": to_value(until),
                ":ids": to_value(set(connection_ids)),
            },
        )

    def settle(self, channel: str, lane: int, connection_ids: Sequence[str]) -> None:
        names = {f"#b{i}": f"{BUSY_PREFIX}{cid}" for i, cid in enumerate(connection_ids)}
        self.client.update_item(
            TableName=self._table,
            Key=self._key(channel, lane),
            UpdateExpression="REMOVE " + ", ".join(names),
            ExpressionAttributeNames=names,
        )

    def forward(self, channel: str, lane: int, connection_ids: Sequence[str]) -> None:
        names = {f"#f{i}": f"{FORWARDED_PREFIX}{cid}" for i, cid in enumerate(connection_ids)}
        self.client.update_item(
            TableName=self._table,
            Key=self._key(channel, lane),
            UpdateExpression="SET #ttl = :ttl ADD " + ", ".join(f"{n} :one" for n in names),
            ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE, **names},
            ExpressionAttributeValues={
                ":ttl": to_value(int(self._clock()) + KEEP_SECONDS),
                ":one": to_value(1),
            },
        )

    def finish(self, channel: str, lane: int, connection_id: str) -> None:
        self.client.update_item(
            TableName=self._table,
            Key=self._key(channel, lane),
            UpdateExpression="ADD #d :one",
            ExpressionAttributeNames={"#d": f"{DONE_PREFIX}{connection_id}"},
            ExpressionAttributeValues={":one": to_value(1)},
        )

    def restore(self, channel: str, lane: int, forwarded: Mapping[str, int]) -> bool:
        from botocore.exceptions import ClientError

        names: dict[str, str] = {}
        values: dict[str, Any] = {":ids": to_value(set(forwarded))}
        conditions, removed = [], []
        for i, (cid, copies) in enumerate(forwarded.items()):
            f, d = f"#f{i}", f"#d{i}"
            names |= {f: f"{FORWARDED_PREFIX}{cid}", d: f"{DONE_PREFIX}{cid}"}
            removed += [f, d]
            if copies:
                values[f":n{i}"] = to_value(copies)
                conditions.append(f"{f} = :n{i} AND {d} = :n{i}")
            else:
                conditions.append(f"attribute_not_exists({f}) AND attribute_not_exists({d})")
        try:
            self.client.update_item(
                TableName=self._table,
                Key=self._key(channel, lane),
                UpdateExpression="DELETE diverted :ids REMOVE " + ", ".join(removed),
                ConditionExpression=" AND ".join(f"({c})" for c in conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
