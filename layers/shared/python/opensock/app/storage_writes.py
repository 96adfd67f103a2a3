"""Applying a storage write: one conditional write, then observers, then pub/sub (§11.2).

Ordering guarantee (docs/decisions.md, "Storage writes settle"): after delivering its own
value, a writer re-reads the entry (strongly consistent) and, if another write has replaced
its value in the meantime, delivers the current one, until what it last delivered is what the
table holds. Every post of a writer completes before its next read, and a value confirmed at
read time can only be replaced by a write whose own posts start later, so the last frame
every observer holds is the final value. Unobserved keys skip the re-read.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import replace

from opensock.clock import Clock
from opensock.domain import storage_frames as frames
from opensock.domain.storage_events import storage_updated
from opensock.domain.storage_model import Outcome, StorageEntry, StorageWrite
from opensock.domain.storage_values import FOREVER, canonical, is_clear, parse
from opensock.observability import count, logger
from opensock.ports import EventPublisher, ObserverDelivery, StorageRepository

# Each extra round follows one newer write of the key, so a burst of N concurrent writers needs
# at most N - 1 rounds; past this bound the writer gives up (logged), and a later writer settles.
MAX_SETTLE_ROUNDS = 100


def new_revision() -> str:
    return secrets.token_hex(8)


def expires_at(now: float, store: int) -> int | None:
    """Never earlier than `store` seconds from now; None for -1 (forever)."""
    return None if store == FOREVER else math.ceil(now + store)


class StorageWriter:
    def __init__(
        self,
        repository: StorageRepository,
        delivery: ObserverDelivery,
        publisher: EventPublisher,
        clock: Clock,
        revision: Callable[[], str] = new_revision,
    ) -> None:
        self._repository = repository
        self._delivery = delivery
        self._publisher = publisher
        self._clock = clock
        self._revision = revision

    def apply(self, write: StorageWrite) -> Outcome:
        now = self._clock()
        current = None if is_clear(write.data) else self._entry(write, now)
        if current is None:
            result = self._repository.delete(write.channel, write.key, now)
        else:
            result = self._repository.put(current, now)
        if not result.changed:
            return Outcome(changed=False)
        previous = result.previous if result.previous and result.previous.is_live(now) else None
        if current is not None and result.previous is not None:
            current = _with_version(current, result.previous.version + 1)
        notified = self._notify(write, current)
        self._emit(write, previous, current)
        return Outcome(True, previous, current, notified)

    def _entry(self, write: StorageWrite, now: float) -> StorageEntry:
        return StorageEntry(
            channel=write.channel,
            key=write.key,
            data=parse(canonical(write.data)),
            writer=write.writer,
            expires_at=expires_at(now, write.store),
            emit=write.emit,
            origin=write.origin,
            revision=self._revision(),
            version=1,
            updated_at=now,
        )

    def _notify(self, write: StorageWrite, current: StorageEntry | None) -> int:
        if current is None:
            frame = frames.cleared(write.channel, write.key, write.writer.as_json())
        else:
            frame = frames.updated(current)
        notified = self._delivery.deliver_to_observers(write.channel, write.key, frame)
        if notified:
            self._settle(write.channel, write.key, current.revision if current else None)
        return notified

    def _settle(self, channel: str, key: str, delivered: str | None) -> None:
        for _ in range(MAX_SETTLE_ROUNDS):
            latest = self._repository.get(channel, key, self._clock())
            revision = latest.revision if latest else None
            if revision == delivered:
                return
            count("ChannelStorageResent")
            frame = frames.updated(latest) if latest else frames.cleared(channel, key)
            self._delivery.deliver_to_observers(channel, key, frame)
            delivered = revision
        logger.warning("storage settle gave up", extra={"channel": channel, "key": key})

    def _emit(
        self, write: StorageWrite, previous: StorageEntry | None, current: StorageEntry | None
    ) -> None:
        if not write.emit or not self._publisher.enabled:
            return
        event = storage_updated(
            channel=write.channel,
            key=write.key,
            data=None if current is None else current.data,
            previous=None if previous is None else previous.data,
            expires_at=None if current is None else current.expires_at,
            writer=write.writer,
            origin=write.origin,
        )
        self._publisher.emit([event])


def _with_version(entry: StorageEntry, version: int) -> StorageEntry:
    return replace(entry, version=version)
