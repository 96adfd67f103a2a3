"""Stored messages and reactions in the one table (PROTOCOL §15, §16).

A message is `chan#{channel}` / `msg#{id}`: one `PutItem`, no condition and no read before it
(ids are unique), billed on its size. A reaction is `chan#{channel}` / `rxn#{messageId}#{value}
#{uid}`: one item per (uid, value, message), added by a `PutItem` conditional on its absence and
removed by a conditional `DeleteItem`, so racing adds and removes serialise in DynamoDB and the
aggregates (counted from the items) can never go negative or double. A channel's messages and
reactions are each one contiguous key range: a history page is one `Query` (per 100 messages),
its reactions another. Every read filters `expiresAt > now` (TTL deletion lags).
"""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.domain.model import Member, Origin
from opensock.domain.reaction_rules import Reaction
from opensock.domain.stored_messages import StoredMessage
from opensock.jsoncodec import dumps, loads

CONDITION_FAILED = "ConditionalCheckFailedException"
_LIVE = "(attribute_not_exists(expiresAt) OR expiresAt > :now)"
_ID_LENGTH = 26


def _origin(origin: Origin) -> dict[str, Any]:
    return {
        "trigger": origin.trigger,
        "connectionId": origin.connection_id,
        "sourceIp": origin.source_ip,
        "userAgent": origin.user_agent,
    }


def message_item(message: StoredMessage, channel_event_index: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": keys.channel_pk(message.channel),
        "sk": keys.message_sk(message.id),
        "event": message.event,
        "data": dumps(message.data),
        keys.TTL_ATTRIBUTE: message.expires_at,
        **_origin(message.origin),
    }
    if message.meta is not None:
        values["uid"] = message.meta.uid
        values["umd"] = None if message.meta.umd is None else dumps(message.meta.umd)
    if channel_event_index:
        values[keys.CHANNEL_EVENT_ATTRIBUTE] = f"{message.channel}#{message.event}"
    return to_item(values)


def message_from(values: dict[str, Any]) -> StoredMessage:
    origin = Origin.from_metadata(values)
    client = origin.trigger.startswith("client.")
    umd = values.get("umd")
    expires_at = values.get(keys.TTL_ATTRIBUTE)
    return StoredMessage(
        id=str(values["sk"]).removeprefix(keys.MESSAGE_PREFIX),
        channel=str(values["pk"]).removeprefix("chan#"),
        event=str(values["event"]),
        data=loads(values.get("data", "null")),
        meta=Member(values.get("uid"), None if umd is None else loads(umd)) if client else None,
        expires_at=None if expires_at is None else int(expires_at),
        origin=origin,
    )


def reaction_item(reaction: Reaction) -> dict[str, Any]:
    umd = reaction.member.umd
    return to_item(
        {
            "pk": keys.channel_pk(reaction.channel),
            "sk": keys.reaction_sk(
                reaction.message_id, reaction.reaction, reaction.member.uid or ""
            ),
            "id": reaction.id,
            "umd": None if umd is None else dumps(umd),
            "createdAt": reaction.created_at,
            keys.TTL_ATTRIBUTE: reaction.expires_at,
            "requestId": reaction.origin.request_id,
            **_origin(reaction.origin),
        }
    )


def reaction_from(values: dict[str, Any]) -> Reaction:
    rest = str(values["sk"]).removeprefix(keys.REACTION_PREFIX)
    message_id, value_and_uid = rest[:_ID_LENGTH], rest[_ID_LENGTH + 1 :]
    value, uid = value_and_uid.split("#", 1)
    umd = values.get("umd")
    expires_at = values.get(keys.TTL_ATTRIBUTE)
    return Reaction(
        id=str(values["id"]),
        channel=str(values["pk"]).removeprefix("chan#"),
        message_id=message_id,
        reaction=value,
        member=Member(uid, None if umd is None else loads(umd)),
        created_at=float(values.get("createdAt", 0)),
        expires_at=None if expires_at is None else int(expires_at),
        origin=Origin.from_metadata(values),
    )


class MessageTable(TableAdapter):
    """The MessageRepository over DynamoDB."""

    def __init__(self, table_name: str, client: Any = None, *, channel_event_index: bool = False):
        super().__init__(table_name, client)
        self._channel_event_index = channel_event_index

    def put(self, message: StoredMessage) -> None:
        item = message_item(message, self._channel_event_index)
        self.client.put_item(TableName=self._table, Item=item)

    def get(self, channel: str, message_id: str, now: float) -> StoredMessage | None:
        key = to_item({"pk": keys.channel_pk(channel), "sk": keys.message_sk(message_id)})
        response = self.client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        if "Item" not in response:
            return None
        message = message_from(from_item(response["Item"]))
        return message if message.is_live(now) else None

    def page(
        self,
        channel: str,
        lowest: str,
        highest: str,
        *,
        now: float,
        limit: int,
        reverse: bool = False,
        consistent: bool = False,
    ) -> list[StoredMessage]:
        if limit <= 0 or lowest > highest:
            return []
        request: dict[str, Any] = {
            "ScanIndexForward": not reverse,
            "ConsistentRead": consistent,
        }
        found: list[StoredMessage] = []
        for values in self._range(
            channel, keys.message_sk(lowest), keys.message_sk(highest), now, request, limit
        ):
            found.append(message_from(values))
            if len(found) == limit:
                break
        return found

    def reactions(self, channel: str, first_id: str, last_id: str, now: float) -> list[Reaction]:
        if first_id > last_id:
            return []
        low = f"{keys.REACTION_PREFIX}{first_id}"
        high = f"{keys.REACTION_PREFIX}{last_id}$"  # "$" sorts right after "#"
        return [reaction_from(values) for values in self._range(channel, low, high, now, {})]

    def add_reaction(self, reaction: Reaction, now: float) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(
                TableName=self._table,
                Item=reaction_item(reaction),
                ConditionExpression="attribute_not_exists(pk) OR expiresAt <= :now",
                ExpressionAttributeValues={":now": to_value(now)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == CONDITION_FAILED:
                return False
            raise
        return True

    def remove_reaction(
        self, channel: str, message_id: str, reaction: str, uid: str, now: float
    ) -> Reaction | None:
        from botocore.exceptions import ClientError

        key = {"pk": keys.channel_pk(channel), "sk": keys.reaction_sk(message_id, reaction, uid)}
        try:
            response = self.client.delete_item(
                TableName=self._table,
                Key=to_item(key),
                ConditionExpression=f"attribute_exists(pk) AND {_LIVE}",
                ExpressionAttributeValues={":now": to_value(now)},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == CONDITION_FAILED:
                return None
            raise
        return reaction_from(from_item(response["Attributes"]))

    def _range(
        self,
        channel: str,
        low: str,
        high: str,
        now: float,
        extra: dict[str, Any],
        limit: int | None = None,
    ) -> Any:
        """Live items with `low <= sk <= high`, page after page (`Limit` = what is missing)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "FilterExpression": _LIVE,
            "ExpressionAttributeValues": to_item(
                {":pk": keys.channel_pk(channel), ":low": low, ":high": high, ":now": now}
            ),
            **extra,
        }
        returned = 0
        while True:
            if limit is not None:
                request["Limit"] = limit - returned
            response = self.client.query(**request)
            for item in response.get("Items", []):
                returned += 1
                yield from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
