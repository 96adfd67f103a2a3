"""What a client request reads first: its connection, its subscription to the channel it names,
and the entry (storage get) or the stored message (reaction) it asks for, as one value.

The subscription and entry are read under the name the client sent; when the connection's
grants resolve that name to another channel (an alias), callers fall back to the plain
repository for the real one (`ClientReads.subscriptions`).
"""

from __future__ import annotations

from dataclasses import dataclass

from opensock.domain.model import Connection, Subscription
from opensock.domain.storage_access import SubscriptionLookup
from opensock.domain.storage_model import StorageEntry
from opensock.domain.stored_messages import StoredMessage


@dataclass(frozen=True)
class ClientReads:
    connection: Connection | None
    channel: str
    """The channel name as the client sent it (the key the subscription was read under)."""
    subscription: Subscription | None
    storage_key: str | None = None
    entry: StorageEntry | None = None
    """The live entry `storage_key` of `channel` (None if absent, expired or not asked for)."""
    message_id: str | None = None
    message: StoredMessage | None = None
    """The live stored message `message_id` of `channel` (None if absent, expired or not
    asked for)."""

    def subscriptions(self, fallback: SubscriptionLookup) -> _Prefetched:
        """A SubscriptionLookup answering from this read, else from `fallback`."""
        return _Prefetched(self, fallback)

    def entry_of(self, channel: str, key: str) -> tuple[bool, StorageEntry | None]:
        """(was it read here, the entry) for `channel`/`key`."""
        read = self.storage_key is not None and (channel, key) == (self.channel, self.storage_key)
        return read, self.entry if read else None


class _Prefetched:
    """SubscriptionTable's lookups, the prefetched subscription answered from memory."""

    def __init__(self, reads: ClientReads, fallback: SubscriptionLookup) -> None:
        self._reads = reads
        self._fallback = fallback

    def get(self, channel: str, connection_id: str) -> Subscription | None:
        reads = self._reads
        mine = reads.connection is not None and connection_id == reads.connection.connection_id
        if mine and channel == reads.channel:
            return reads.subscription
        return self._fallback.get(channel, connection_id)

    def find_by_alias(self, connection_id: str, alias: str) -> Subscription | None:
        return self._fallback.find_by_alias(connection_id, alias)
