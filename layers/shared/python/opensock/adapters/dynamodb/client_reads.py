"""What a client request reads first, in one BatchGetItem: its connection, its subscription to
the channel it names, and (storage get) the entry it asks for.

Strongly consistent like the separate GetItems it replaces (same read units), one round trip
instead of two or three. The subscription and entry are read under the name the client sent;
when the connection's grants resolve that name to another channel (an alias), callers fall back
to the plain repositories for the real one (`ClientReads.subscriptions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item
from opensock.adapters.dynamodb.connection_table import connection_from
from opensock.adapters.dynamodb.storage_table import entry_from_item
from opensock.adapters.dynamodb.subscription_table import subscription_from
from opensock.clock import Clock, system_clock
from opensock.domain.model import Connection, Subscription
from opensock.domain.storage_model import StorageEntry


@dataclass(frozen=True)
class ClientReads:
    connection: Connection | None
    channel: str
    """The channel name as the client sent it (the key the subscription was read under)."""
    subscription: Subscription | None
    storage_key: str | None = None
    entry: StorageEntry | None = None
    """The live entry `storage_key` of `channel` (None if absent, expired or not asked for)."""

    def subscriptions(self, fallback: Any) -> _Prefetched:
        """A SubscriptionLookup answering from this read, else from `fallback`."""
        return _Prefetched(self, fallback)

    def entry_of(self, channel: str, key: str) -> tuple[bool, StorageEntry | None]:
        """(was it read here, the entry) for `channel`/`key`."""
        read = self.storage_key is not None and (channel, key) == (self.channel, self.storage_key)
        return read, self.entry if read else None


class _Prefetched:
    """SubscriptionTable's lookups, the prefetched subscription answered from memory."""

    def __init__(self, reads: ClientReads, fallback: Any) -> None:
        self._reads = reads
        self._fallback = fallback

    def get(self, channel: str, connection_id: str) -> Subscription | None:
        reads = self._reads
        mine = reads.connection is not None and connection_id == reads.connection.connection_id
        if mine and channel == reads.channel:
            return reads.subscription
        found: Subscription | None = self._fallback.get(channel, connection_id)
        return found

    def find_by_alias(self, connection_id: str, alias: str) -> Subscription | None:
        found: Subscription | None = self._fallback.find_by_alias(connection_id, alias)
        return found


class ClientReader(TableAdapter):
    def __init__(self, table_name: str, client: Any = None, clock: Clock = system_clock) -> None:
        super().__init__(table_name, client)
        self._clock = clock

    def read(self, connection_id: str, channel: str, storage_key: str | None = None) -> ClientReads:
        wanted = {
            (keys.connection_pk(connection_id), keys.CONNECTION_SK),
            (keys.channel_pk(channel), keys.subscription_sk(connection_id)),
        }
        if storage_key is not None:
            wanted.add((keys.channel_pk(channel), keys.storage_sk(storage_key)))
        items = self._batch_get([to_item({"pk": pk, "sk": sk}) for pk, sk in wanted])
        now = self._clock()
        live = {
            (values["pk"], values["sk"]): values
            for values in items
            if keys.is_live(values.get(keys.TTL_ATTRIBUTE), now)
        }
        conn = live.get((keys.connection_pk(connection_id), keys.CONNECTION_SK))
        sub = live.get((keys.channel_pk(channel), keys.subscription_sk(connection_id)))
        entry = None
        if storage_key is not None:
            entry = live.get((keys.channel_pk(channel), keys.storage_sk(storage_key)))
        return ClientReads(
            connection=connection_from(conn) if conn is not None else None,
            channel=channel,
            subscription=subscription_from(sub) if sub is not None else None,
            storage_key=storage_key,
            entry=entry_from_item(entry) if entry is not None else None,
        )

    def _batch_get(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while pending:
            response = self.client.batch_get_item(
                RequestItems={self._table: {"Keys": pending, "ConsistentRead": True}}
            )
            found += [from_item(item) for item in response["Responses"].get(self._table, [])]
            pending = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        return found
