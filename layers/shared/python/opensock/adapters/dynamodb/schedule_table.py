"""Pending schedules on their channel: `pk=chan#{channel}`, `sk=sched#{name}` (a ULID, so a
query returns them in creation order), `expiresAt` = the fire time: a fired schedule drops out
of every read at once and the TTL sweep deletes its record later."""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item
from opensock.domain.pending_schedules import PendingSchedule


def _pending(values: dict[str, Any]) -> PendingSchedule:
    return PendingSchedule(
        id=str(values["sk"]).removeprefix(keys.SCHEDULE_PREFIX),
        channel=str(values["pk"]).removeprefix("chan#"),
        kind=str(values["kind"]),
        target=str(values["target"]),
        at=int(values[keys.TTL_ATTRIBUTE]),
        arn=str(values["arn"]),
        uid=values.get("uid"),
    )


class ScheduleTable(TableAdapter):
    """The ScheduleIndex port over DynamoDB."""

    def _key(self, channel: str, schedule_id: str) -> dict[str, Any]:
        return {"pk": keys.channel_pk(channel), "sk": f"{keys.SCHEDULE_PREFIX}{schedule_id}"}

    def put(self, pending: PendingSchedule) -> None:
        item = {
            **self._key(pending.channel, pending.id),
            "kind": pending.kind,
            "target": pending.target,
            "arn": pending.arn,
            "uid": pending.uid,
            keys.TTL_ATTRIBUTE: pending.at,
        }
        self.client.put_item(TableName=self._table, Item=to_item(item))

    def pending(self, channel: str, now: float) -> list[PendingSchedule]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "expiresAt > :now",
            "ConsistentRead": True,
            "ExpressionAttributeValues": to_item(
                {":pk": keys.channel_pk(channel), ":prefix": keys.SCHEDULE_PREFIX, ":now": now}
            ),
        }
        found: list[PendingSchedule] = []
        while True:
            response = self.client.query(**request)
            found += [_pending(from_item(item)) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get(self, channel: str, schedule_id: str, now: float) -> PendingSchedule | None:
        response = self.client.get_item(
            TableName=self._table, Key=to_item(self._key(channel, schedule_id)), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        pending = _pending(from_item(response["Item"]))
        return pending if pending.at > now else None

    def delete(self, channel: str, schedule_id: str) -> None:
        self.client.delete_item(TableName=self._table, Key=to_item(self._key(channel, schedule_id)))
