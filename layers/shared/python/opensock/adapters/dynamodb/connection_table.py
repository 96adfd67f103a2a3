"""Connection items and used single-use token ids, in the one table."""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.clock import Clock, system_clock
from opensock.domain.model import Connection
from opensock.jsoncodec import dumps, loads


def _connection_item(connection: Connection, sweep_slots: int = 4) -> dict[str, Any]:
    slot = keys.sweep_slot_of(connection.connection_id, sweep_slots)
    return to_item(
        {
            "pk": keys.connection_pk(connection.connection_id),
            "sk": keys.CONNECTION_SK,
            "gsi2pk": keys.sweep_pk(slot),
            "uid": connection.uid,
            "umd": dumps(connection.umd),
            "grants": dumps(connection.grants),
            "secret": connection.secret,
            "connectedAt": connection.connected_at,
            keys.TTL_ATTRIBUTE: connection.expires_at,
            "sourceIp": connection.source_ip,
            "userAgent": connection.user_agent,
            "keepAlive": connection.keep_alive,
            "heartbeatTimeout": connection.heartbeat_timeout,
            # DynamoDB has no empty set: a new connection's item has no `channels` at all.
            keys.CHANNELS_ATTRIBUTE: set(connection.channels) or None,
        }
    )


def connection_from(values: dict[str, Any]) -> Connection:
    return Connection(
        connection_id=values["pk"].removeprefix("conn#"),
        uid=values.get("uid"),
        umd=loads(values.get("umd", "null")),
        grants=loads(values.get("grants", "{}")),
        secret=values["secret"],
        connected_at=float(values["connectedAt"]),
        expires_at=int(values[keys.TTL_ATTRIBUTE]),
        source_ip=values.get("sourceIp"),
        user_agent=values.get("userAgent"),
        keep_alive=bool(values.get("keepAlive", False)),
        heartbeat_timeout=values.get("heartbeatTimeout"),
        channels=frozenset(values.get(keys.CHANNELS_ATTRIBUTE, ())),
    )


class ConnectionTable(TableAdapter):
    """Connection records: one item per open connection, expiring with the connection."""

    def __init__(
        self,
        table_name: str,
        client: Any = None,
        clock: Clock = system_clock,
        sweep_slots: int = 4,
    ) -> None:
        super().__init__(table_name, client)
        self._clock = clock
        self._sweep_slots = sweep_slots

    def _key(self, connection_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.connection_pk(connection_id), "sk": keys.CONNECTION_SK})

    def put(self, connection: Connection) -> None:
        self.client.put_item(
            TableName=self._table, Item=_connection_item(connection, self._sweep_slots)
        )

    def get(self, connection_id: str) -> Connection | None:
        """The live connection, read strongly consistent; None when absent or expired."""
        response = self.client.get_item(
            TableName=self._table, Key=self._key(connection_id), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        if not keys.is_live(values.get(keys.TTL_ATTRIBUTE), self._clock()):
            return None
        return connection_from(values)

    def delete(self, connection_id: str) -> Connection | None:
        """Remove the record; returns what it held (None if it was already gone)."""
        response = self.client.delete_item(
            TableName=self._table, Key=self._key(connection_id), ReturnValues="ALL_OLD"
        )
        if "Attributes" not in response:
            return None
        return connection_from(from_item(response["Attributes"]))

    def in_sweep_slot(self, slot: int) -> list[tuple[str, int]]:
        """Every connection record of the slot from the keys-only sweep index (gsi2)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.GSI2,
            "KeyConditionExpression": "gsi2pk = :slot",
            "ExpressionAttributeValues": {":slot": to_value(keys.sweep_pk(slot))},
        }
        found: list[tuple[str, int]] = []
        while True:
            page = self.client.query(**request)
            for item in page.get("Items", []):
                values = from_item(item)
                connection_id = values["pk"].removeprefix("conn#")
                found.append((connection_id, int(values[keys.TTL_ATTRIBUTE])))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_umd(self, connection_id: str, umd: Any) -> Connection | None:
        """Replace the connection's default umd; returns the record as it was before."""
        from botocore.exceptions import ClientError

        try:
            response = self.client.update_item(
                TableName=self._table,
                Key=self._key(connection_id),
                UpdateExpression="SET umd = :umd",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":umd": to_value(dumps(umd))},
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return connection_from(from_item(response["Attributes"]))


MAX_TTL = 10**11
"""Year 5138: any later `exp` is stored as this (DynamoDB numbers have 38 digits)."""


class UsedTokenTable(TableAdapter):
    """Single-use token ids (`jti`), each recorded by one conditional write until its `exp`."""

    def claim(self, jti: str, expires_at: int) -> bool:
        from botocore.exceptions import ClientError

        client = self.client
        # A far-future `exp` (10**40) is not a DynamoDB number; past MAX_TTL it is kept forever.
        ttl = min(expires_at, MAX_TTL)
        item = {"pk": keys.jti_pk(jti), "sk": keys.JTI_SK, keys.TTL_ATTRIBUTE: ttl}
        try:
            client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
