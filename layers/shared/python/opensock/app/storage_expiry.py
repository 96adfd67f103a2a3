"""TTL expiry of storage entries: pub/sub only, never WebSocket frames (PROTOCOL §11.5).

Emitted when DynamoDB actually deletes the item (the stream's REMOVE), for entries whose last
write requested pub/sub events (Q-STOR-4), with that write's meta and origin (Q-P2).
"""

from __future__ import annotations

from collections.abc import Sequence

from opensock.adapters.pubsub import EventPublisher
from opensock.domain.storage_events import storage_updated
from opensock.domain.storage_model import StorageEntry
from opensock.observability import count


def emit_expirations(entries: Sequence[StorageEntry], publisher: EventPublisher) -> int:
    """Emit one `hotsock.channelStorageUpdated` (`expired: true`) per flagged entry."""
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
    if events and publisher.enabled:
        publisher.emit(events)
    count("ChannelStorageExpired", len(entries))
    return len(events) if publisher.enabled else 0
