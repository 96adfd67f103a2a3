"""TTL expiry of storage entries: pub/sub only, never WebSocket frames (PROTOCOL §11.5).

Emitted when DynamoDB actually deletes the item (the stream's REMOVE), for entries whose last
write requested pub/sub events (Q-STOR-4), with that write's meta and origin (Q-P2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opensock.domain.storage_events import storage_updated
from opensock.domain.storage_model import StorageEntry
from opensock.observability import count
from opensock.ports import EventPublisher, StreamDecoder


class StorageExpiry:
    def __init__(self, stream: StreamDecoder, publisher: EventPublisher) -> None:
        self._stream = stream
        self._publisher = publisher

    def expire(self, records: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
        """StreamFunction: (entries the TTL sweeper removed, pub/sub events emitted)."""
        entries = self._stream.expired_entries(records)
        return len(entries), self.emit_expirations(entries)

    def emit_expirations(self, entries: Iterable[StorageEntry]) -> int:
        """TTL removals: one `hotsock.channelStorageUpdated` (`expired: true`) per entry whose
        last write asked for pub/sub events (Q-STOR-4), with that write's meta and origin."""
        entries = list(entries)
        events = [
            storage_updated(
                channel=entry.channel,
                key=entry.key,
                data=None,
                previous=entry.data,
                expires_at=entry.expires_at,
                writer=entry.writer,
                origin=entry.origin,
                expired=True,
            )
            for entry in entries
            if entry.emit
        ]
        if events and self._publisher.enabled:
            self._publisher.emit(events)
        count("ChannelStorageExpired", len(entries))
        return len(events) if self._publisher.enabled else 0
