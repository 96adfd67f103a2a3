"""Storage entries in the one table: `pk=chan#{channel}`, `sk=storage#{key}`.

A set is one conditional UpdateItem that succeeds only when the stored value differs (or is
expired, or absent) and returns the old image; a clear is one conditional DeleteItem of a live
entry. The condition on the value is the optimistic lock: concurrent writers serialise in
DynamoDB, and a write of the current value is a no-op detected atomically. Reads filter
`expiresAt > now` themselves (TTL deletion lags).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.domain.model import Member, Origin
from opensock.domain.storage_model import StorageEntry, WriteResult
from opensock.domain.storage_values import canonical, parse
from opensock.jsoncodec import dumps, loads

CONDITION_FAILED = "ConditionalCheckFailedException"
_LIVE = "(attribute_not_exists(expiresAt) OR expiresAt > :now)"
_CHANGES = "attribute_not_exists(#data) OR #data <> :data OR expiresAt <= :now"
_ORIGIN_FIELDS = ("trigger", "connectionId", "sourceIp", "userAgent", "requestId")


def entry_from_item(values: dict[str, Any]) -> StorageEntry:
    """A stored item (plain values, e.g. from a stream image) as a StorageEntry."""
    expires_at = values.get(keys.TTL_ATTRIBUTE)
    return StorageEntry(
        channel=str(values["pk"]).removeprefix("chan#"),
        key=str(values["sk"]).removeprefix(keys.STORAGE_PREFIX),
        data=parse(values["data"]),
        writer=Member(values.get("uid"), loads(values.get("umd", "null"))),
        expires_at=None if expires_at is None else int(expires_at),
        emit=bool(values.get("emit", False)),
        origin=Origin.from_metadata(values),
        revision=str(values.get("rev", "")),
        version=int(values.get("version", 0)),
        updated_at=float(values.get("updatedAt", 0)),
    )


def _attributes(entry: StorageEntry) -> dict[str, Any]:
    origin = entry.origin
    return {
        "data": canonical(entry.data),
        "uid": entry.writer.uid,
        "umd": dumps(entry.writer.umd),
        "emit": entry.emit,
        "rev": entry.revision,
        "updatedAt": entry.updated_at,
        keys.TTL_ATTRIBUTE: entry.expires_at,
        "trigger": origin.trigger,
        "connectionId": origin.connection_id,
        "sourceIp": origin.source_ip,
        "userAgent": origin.user_agent,
        "requestId": origin.request_id,
    }


def _update_expression(values: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    names: dict[str, str] = {}
    sets, removes, bound = ["#version = if_not_exists(#version, :zero) + :one"], [], {}
    for index, (name, value) in enumerate(values.items()):
        names[f"#a{index}"] = name
        if value is None:
            removes.append(f"#a{index}")
        else:
            sets.append(f"#a{index} = :v{index}")
            bound[f":v{index}"] = to_value(value)
    names["#version"] = "version"
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return expression, names, bound


class StorageTable(TableAdapter):
    """The StorageRepository over DynamoDB (low-level client, typed attribute values)."""

    def _key(self, channel: str, key: str) -> dict[str, Any]:
        return to_item({"pk": keys.channel_pk(channel), "sk": keys.storage_sk(key)})

    def put(self, entry: StorageEntry, now: float) -> WriteResult:
        expression, names, values = _update_expression(_attributes(entry))
        names["#data"] = "data"
        values.update({":zero": to_value(0), ":one": to_value(1), ":now": to_value(now)})
        values[":data"] = to_value(canonical(entry.data))
        return self._conditional(
            "update_item",
            Key=self._key(entry.channel, entry.key),
            UpdateExpression=expression,
            ConditionExpression=_CHANGES,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def delete(self, channel: str, key: str, now: float) -> WriteResult:
        return self._conditional(
            "delete_item",
            Key=self._key(channel, key),
            ConditionExpression=f"attribute_exists(pk) AND {_LIVE}",
            ExpressionAttributeValues={":now": to_value(now)},
        )

    def _conditional(self, operation: str, **request: Any) -> WriteResult:
        from botocore.exceptions import ClientError

        try:
            response = getattr(self.client, operation)(
                TableName=self._table, ReturnValues="ALL_OLD", **request
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == CONDITION_FAILED:
                return WriteResult(changed=False)
            raise
        old = response.get("Attributes")
        return WriteResult(changed=True, previous=entry_from_item(from_item(old)) if old else None)

    def get(self, channel: str, key: str, now: float) -> StorageEntry | None:
        response = self.client.get_item(
            TableName=self._table, Key=self._key(channel, key), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        entry = entry_from_item(from_item(response["Item"]))
        return entry if entry.is_live(now) else None

    def entries(self, channel: str, now: float, after: str | None = None) -> Iterator[StorageEntry]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": _LIVE,
            "ExpressionAttributeValues": to_item(
                {":pk": keys.channel_pk(channel), ":prefix": keys.STORAGE_PREFIX, ":now": now}
            ),
        }
        if after is not None:
            request["ExclusiveStartKey"] = self._key(channel, after)
        while True:
            response = self.client.query(**request)
            for item in response.get("Items", []):
                yield entry_from_item(from_item(item))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get_many(self, channel: str, keys_: Sequence[str], now: float) -> list[StorageEntry]:
        pending: list[dict[str, Any]] = [self._key(channel, key) for key in dict.fromkeys(keys_)]
        found: list[StorageEntry] = []
        while pending:
            response = self.client.batch_get_item(
                RequestItems={self._table: {"Keys": pending[:100]}}
            )
            found += [entry_from_item(from_item(i)) for i in response["Responses"][self._table]]
            unprocessed = response.get("UnprocessedKeys", {}).get(self._table, {})
            pending = unprocessed.get("Keys", []) + pending[100:]
        live = [entry for entry in found if entry.is_live(now)]
        return sorted(live, key=lambda entry: entry.key.encode("utf-8"))
