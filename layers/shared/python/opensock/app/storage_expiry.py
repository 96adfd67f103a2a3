"""Expiry of storage entries.

Hotsock's behaviour (PROTOCOL §11.5): pub/sub only, never WebSocket frames, emitted when
DynamoDB's TTL sweeper actually deletes the item (the stream's REMOVE), for entries whose last
write requested pub/sub events (Q-STOR-4), with that write's meta and origin (Q-P2).

Exact expiry (extension, `STORAGE_EXACT_EXPIRY`, docs/extensions.md): every expiring write
also schedules its own clear at the expiry time (`StorageWriter`); when it fires, the entry is
deleted if it is still that write (same revision), and observers get `data: null` with
`meta.expired`, plus the pub/sub event. Whichever deletes the item, the schedule or the TTL
sweeper, announces it, so the expiry is announced once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opensock.clock import Clock
from opensock.domain import storage_frames as frames
from opensock.domain.storage_events import storage_updated
from opensock.domain.storage_model import StorageEntry
from opensock.observability import count
from opensock.ports import EventPublisher, ObserverDelivery, StorageRepository, StreamDecoder


class StorageExpiry:
    def __init__(
        self,
        stream: StreamDecoder,
        publisher: EventPublisher,
        entries: StorageRepository | None = None,
        delivery: ObserverDelivery | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`entries`, `delivery` and `clock` given = exact expiry on."""
        self._stream = stream
        self._publisher = publisher
        self._entries = entries
        self._delivery = delivery
        self._clock = clock

    def expire(self, records: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
        """StreamFunction: (entries the TTL sweeper removed, pub/sub events emitted)."""
        entries = self._stream.expired_entries(records)
        self._tell_observers(entries)
        return len(entries), self.emit_expirations(entries)

    def run_scheduled(self, payload: Mapping[str, Any]) -> None:
        """ScheduledFunction, kind `storageExpire`: clear the entry if it is still that write."""
        if self._entries is None or self._clock is None:
            return
        channel, key = str(payload["channel"]), str(payload["key"])
        result = self._entries.delete_expired(channel, key, str(payload["revision"]), self._clock())
        if not result.changed or result.previous is None:
            count("ChannelStorageExpiryStale")
            return
        self._tell_observers([result.previous])
        self.emit_expirations([result.previous])

    def _tell_observers(self, entries: Iterable[StorageEntry]) -> None:
        if self._delivery is None:
            return
        for entry in entries:
            self._delivery.deliver_to_observers(
                entry.channel, entry.key, frames.expired(entry.channel, entry.key)
            )

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
