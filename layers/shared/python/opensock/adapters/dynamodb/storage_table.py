"""Storage entries in the one table: `pk=chan#{channel}`, `sk=storage#{key}`.

A set is one conditional UpdateItem that succeeds only when the stored value differs (or is
expired, or absent) and returns the old image; a clear is one conditional DeleteItem of a live
entry. The condition on the value is the optimistic lock: concurrent writers serialise in
DynamoDB, and a write of the current value is a no-op detected atomically. Reads filter
`expiresAt > now` themselves (TTL deletion lags).

Extensions (docs/extensions.md): a conditional write adds `version = :expected` (or absence)
to the condition and reads the item back on failure (`ReturnValuesOnConditionCheckFailure`),
so the caller learns the current version without another read; a counter keeps its value in
the number attribute `count` (no `data`), so an increment is one `SET count = count + :by`
whose condition also holds the bound.
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
_ABSENT = "(attribute_not_exists(pk) OR expiresAt <= :now)"
_COUNTER = "attribute_exists(#count) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)"
_ORIGIN_FIELDS = ("trigger", "connectionId", "sourceIp", "userAgent", "requestId")


def entry_from_item(values: dict[str, Any]) -> StorageEntry:
    """A stored item (plain values, e.g. from a stream image) as a StorageEntry."""
    expires_at = values.get(keys.TTL_ATTRIBUTE)
    counter = "count" in values
    return StorageEntry(
        channel=str(values["pk"]).removeprefix("chan#"),
        key=str(values["sk"]).removeprefix(keys.STORAGE_PREFIX),
        data=int(values["count"]) if counter else parse(values["data"]),
        writer=Member(values.get("uid"), loads(values.get("umd", "null"))),
        expires_at=None if expires_at is None else int(expires_at),
        emit=bool(values.get("emit", False)),
        origin=Origin.from_metadata(values),
        revision=str(values.get("rev", "")),
        version=int(values.get("version", 0)),
        updated_at=float(values.get("updatedAt", 0)),
        counter=counter,
    )


def _attributes(entry: StorageEntry) -> dict[str, Any]:
    origin = entry.origin
    return {
        "data": None if entry.counter else canonical(entry.data),
        "count": entry.data if entry.counter else None,
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

    def put(self, entry: StorageEntry, now: float, expected: int | None = None) -> WriteResult:
        expression, names, values = _update_expression(_attributes(entry))
        names["#data"] = "data"
        values.update({":zero": to_value(0), ":one": to_value(1), ":now": to_value(now)})
        values[":data"] = to_value(canonical(entry.data))
        condition = _CHANGES
        if expected == 0:  # absence implies a change: the value is not compared
            condition = _ABSENT
            del names["#data"], values[":data"]
        elif expected is not None:
            condition = f"({_CHANGES}) AND #version = :expected AND {_LIVE}"
            values[":expected"] = to_value(expected)
        return self._conditional(
            "update_item",
            Key=self._key(entry.channel, entry.key),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def delete(
        self, channel: str, key: str, now: float, expected: int | None = None
    ) -> WriteResult:
        condition = f"attribute_exists(pk) AND {_LIVE}"
        request: dict[str, Any] = {"ExpressionAttributeValues": {":now": to_value(now)}}
        if expected is not None:  # 0 never matches: a live entry's version is >= 1
            condition += " AND #version = :expected"
            request["ExpressionAttributeNames"] = {"#version": "version"}
            request["ExpressionAttributeValues"][":expected"] = to_value(expected)
        return self._conditional(
            "delete_item", Key=self._key(channel, key), ConditionExpression=condition, **request
        )

    def delete_expired(self, channel: str, key: str, revision: str, now: float) -> WriteResult:
        """Remove the entry if it is still the write `revision` and has expired (exact expiry)."""
        return self._conditional(
            "delete_item",
            Key=self._key(channel, key),
            ConditionExpression="rev = :rev AND expiresAt <= :now",
            ExpressionAttributeValues={":rev": to_value(revision), ":now": to_value(now)},
        )

    def add(self, entry: StorageEntry, by: int, bound: int | None, now: float) -> WriteResult:
        """`count += by` on a live counter, the rest of `entry` written as by `put`; `bound`
        caps the old count (≤ for a positive step, ≥ for a negative one)."""
        attributes = _attributes(entry)
        del attributes["count"], attributes["data"]
        expression, names, values = _update_expression(attributes)
        names["#count"] = "count"
        expression = expression.replace("SET ", "SET #count = #count + :by, ", 1)
        values.update({":one": to_value(1), ":zero": to_value(0), ":now": to_value(now)})
        values[":by"] = to_value(by)
        condition = _COUNTER
        if bound is not None:
            condition += " AND #count " + ("<=" if by > 0 else ">=") + " :bound"
            values[":bound"] = to_value(bound)
        return self._conditional(
            "update_item",
            returned="ALL_NEW",
            Key=self._key(entry.channel, entry.key),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def _conditional(
        self, operation: str, returned: str = "ALL_OLD", **request: Any
    ) -> WriteResult:
        from botocore.exceptions import ClientError

        try:
            response = getattr(self.client, operation)(
                TableName=self._table,
                ReturnValues=returned,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **request,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == CONDITION_FAILED:
                found = exc.response.get("Item")
                return WriteResult(False, entry_from_item(from_item(found)) if found else None)
            raise
        item = response.get("Attributes")
        entry = entry_from_item(from_item(item)) if item else None
        if returned == "ALL_NEW":
            return WriteResult(changed=True, current=entry)
        return WriteResult(changed=True, previous=entry)

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
