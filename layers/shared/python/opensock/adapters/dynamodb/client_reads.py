"""What a client request reads first (`domain.prefetch.ClientReads`), in one BatchGetItem.

Strongly consistent like the separate GetItems it replaces (same read units), one round trip
instead of two or three. A client publish reads eventually consistent (half the units) and
reads again, strongly consistent, only the items that came back missing: a just-created
connection or subscription is never refused (docs/decisions.md).

The subscription and entry are read under the name the client sent; when the connection's
grants resolve that name to another channel (an alias), callers fall back to the plain
repositories for the real one (`ClientReads.subscriptions`).
"""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item
from opensock.adapters.dynamodb.connection_table import connection_from
from opensock.adapters.dynamodb.message_table import message_from
from opensock.adapters.dynamodb.storage_table import entry_from_item
from opensock.adapters.dynamodb.subscription_table import subscription_from
from opensock.clock import Clock, system_clock
from opensock.domain.model import Connection
from opensock.domain.prefetch import ClientReads


class ClientReader(TableAdapter):
    def __init__(self, table_name: str, client: Any = None, clock: Clock = system_clock) -> None:
        super().__init__(table_name, client)
        self._clock = clock

    def read(
        self,
        connection_id: str,
        channel: str,
        storage_key: str | None = None,
        message_id: str | None = None,
        *,
        consistent: bool = True,
    ) -> ClientReads:
        wanted = {
            (keys.connection_pk(connection_id), keys.CONNECTION_SK),
            (keys.channel_pk(channel), keys.subscription_sk(connection_id)),
        }
        if storage_key is not None:
            wanted.add((keys.channel_pk(channel), keys.storage_sk(storage_key)))
        if message_id is not None:
            wanted.add((keys.channel_pk(channel), keys.message_sk(message_id)))
        now = self._clock()
        live = self._live(wanted, now, consistent=consistent)
        if not consistent and len(live) < len(wanted):
            # Eventually consistent reads may miss what was just written (a new connection or
            # subscription): what is missing is read again, strongly consistent.
            live |= self._live(wanted - set(live), now, consistent=True)
        conn = live.get((keys.connection_pk(connection_id), keys.CONNECTION_SK))
        sub = live.get((keys.channel_pk(channel), keys.subscription_sk(connection_id)))
        entry = None
        if storage_key is not None:
            entry = live.get((keys.channel_pk(channel), keys.storage_sk(storage_key)))
        message = None
        if message_id is not None:
            message = live.get((keys.channel_pk(channel), keys.message_sk(message_id)))
        return ClientReads(
            connection=connection_from(conn) if conn is not None else None,
            channel=channel,
            subscription=subscription_from(sub) if sub is not None else None,
            storage_key=storage_key,
            entry=entry_from_item(entry) if entry is not None else None,
            message_id=message_id,
            message=message_from(message) if message is not None else None,
        )

    def connection_and_count(
        self, connection_id: str, channel: str
    ) -> tuple[Connection | None, int]:
        """The live connection and `subscriptionsCount` of the channel's meta item: one
        request where the connection alone was one (+1 RRU, the meta item read consistently)."""
        connection_key = (keys.connection_pk(connection_id), keys.CONNECTION_SK)
        meta_key = (keys.channel_pk(channel), keys.CHANNEL_META_SK)
        wanted = [to_item({"pk": pk, "sk": sk}) for pk, sk in (connection_key, meta_key)]
        found = {(v["pk"], v["sk"]): v for v in self._batch_get(wanted, consistent=True)}
        conn = found.get(connection_key)
        if conn is not None and not keys.is_live(conn.get(keys.TTL_ATTRIBUTE), self._clock()):
            conn = None
        count = int(found.get(meta_key, {}).get("subscriptionsCount", 0))
        return (connection_from(conn) if conn is not None else None), max(count, 0)

    def _live(
        self, wanted: set[tuple[str, str]], now: float, *, consistent: bool
    ) -> dict[tuple[str, str], dict[str, Any]]:
        items = self._batch_get([to_item({"pk": pk, "sk": sk}) for pk, sk in wanted], consistent)
        return {
            (values["pk"], values["sk"]): values
            for values in items
            if keys.is_live(values.get(keys.TTL_ATTRIBUTE), now)
        }

    def _batch_get(self, pending: list[dict[str, Any]], consistent: bool) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while pending:
            response = self.client.batch_get_item(
                RequestItems={self._table: {"Keys": pending, "ConsistentRead": consistent}}
            )
            found += [from_item(item) for item in response["Responses"].get(self._table, [])]
            pending = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return found
