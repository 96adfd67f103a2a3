"""Applying a storage write: one conditional write, then observers, then pub/sub (§11.2).

Ordering guarantee (docs/decisions.md, "Storage writes settle"): after delivering its own
value, a writer re-reads the entry (strongly consistent) and, if another write has replaced
its value in the meantime, delivers the current one, until what it last delivered is what the
table holds. Every post of a writer completes before its next read, and a value confirmed at
read time can only be replaced by a write whose own posts start later, so the last frame
every observer holds is the final value. Unobserved keys skip the re-read.

Extensions (docs/extensions.md): a conditional write whose condition fails raises
`StorageConditionFailedError` with the version found, having written and sent nothing; a
counter step is one atomic add on a counter, or (absent entry, integer value) one conditional
write on the version found, retried from what the failed condition returned.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from opensock.clock import Clock
from opensock.domain import storage_frames as frames
from opensock.domain.storage_events import storage_updated
from opensock.domain.storage_model import (
    Increment,
    Outcome,
    StorageEntry,
    StorageWrite,
    live_version,
)
from opensock.domain.storage_values import FOREVER, canonical, is_clear, parse
from opensock.errors import (
    ConflictError,
    StorageConditionFailedError,
    StorageCounterLimitError,
    StorageNotACounterError,
)
from opensock.observability import count, logger
from opensock.ports import EventPublisher, ObserverDelivery, Scheduler, StorageRepository

# Each extra round follows one newer write of the key, so a burst of N concurrent writers needs
# at most N - 1 rounds; past this bound the writer gives up (logged), and a later writer settles.
MAX_SETTLE_ROUNDS = 100
EXPIRE_KIND = "storageExpire"
# A counter step retries only when another writer changed a non-counter entry in between.
MAX_STEP_ROUNDS = 50
Stored = tuple[StorageEntry | None, StorageEntry | None]


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
        expiries: Scheduler | None = None,
    ) -> None:
        """`expiries`: where exact expiry schedules each expiring entry's clear (None = off)."""
        self._repository = repository
        self._delivery = delivery
        self._publisher = publisher
        self._clock = clock
        self._revision = revision
        self._expiries = expiries

    def apply(self, write: StorageWrite) -> Outcome:
        now = self._clock()
        if write.increment is not None:
            stored: Stored | None = self._step(write, write.increment, now)
        else:
            stored = self._store(write, now)
        if stored is None:
            return Outcome(changed=False)
        previous, current = stored
        if current is not None and current.expires_at is not None and self._expiries:
            self._expiries.schedule(*expiry_schedule(current))
        notified = self._notify(write, current)
        self._emit(write, previous, current)
        return Outcome(True, previous, current, notified)

    def _store(self, write: StorageWrite, now: float) -> Stored | None:
        current = None if is_clear(write.data) else self._entry(write, now)
        expected = write.expected_version
        if current is None:
            result = self._repository.delete(write.channel, write.key, now, expected)
        else:
            result = self._repository.put(current, now, expected)
        if not result.changed:
            if expected is not None and live_version(result.previous, now) != expected:
                raise _refusal(StorageConditionFailedError, result.previous, now)
            return None
        if current is not None and result.previous is not None:
            current = _with_version(current, result.previous.version + 1)
        return _live(result.previous, now), current

    def _step(self, write: StorageWrite, step: Increment, now: float) -> Stored:
        template = replace(self._entry(write, now), counter=True)
        limit = step.high if step.by > 0 else step.low
        bound = None if limit is None else limit - step.by
        for _ in range(MAX_STEP_ROUNDS):
            result = self._repository.add(template, step.by, bound, now)
            if result.changed and result.current is not None:
                current = result.current
                return replace(current, data=int(str(current.data)) - step.by), current
            found = _live(result.previous, now)
            if found is not None and found.counter:
                raise _refusal(StorageCounterLimitError, found, now)
            value = _integer(found, now) + step.by
            if not step.allows(value):
                raise _refusal(StorageCounterLimitError, found, now)
            result = self._repository.put(
                replace(template, data=value), now, live_version(found, now)
            )
            if result.changed:
                version = result.previous.version + 1 if result.previous else 1
                return found, replace(template, data=value, version=version)
        raise ConflictError("storage counter busy: retry")

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


def expiry_schedule(entry: StorageEntry) -> tuple[datetime, str, dict[str, Any]]:
    """The one-time schedule clearing `entry` at its expiry, unless rewritten meanwhile."""
    at = datetime.fromtimestamp(entry.expires_at or 0, UTC)
    payload = {"kind": EXPIRE_KIND, "channel": entry.channel, "key": entry.key}
    return at, "UTC", {**payload, "revision": entry.revision}


def _with_version(entry: StorageEntry, version: int) -> StorageEntry:
    return replace(entry, version=version)


def _live(entry: StorageEntry | None, now: float) -> StorageEntry | None:
    return entry if entry is not None and entry.is_live(now) else None


def _integer(found: StorageEntry | None, now: float) -> int:
    """The start of a counter step: 0 when absent, else the entry's integer value."""
    if found is None:
        return 0
    if isinstance(found.data, bool) or not isinstance(found.data, int):
        raise _refusal(StorageNotACounterError, found, now)
    return found.data


def _refusal(
    error: type[StorageConditionFailedError], found: StorageEntry | None, now: float
) -> StorageConditionFailedError:
    live = _live(found, now)
    value = (None, None) if live is None else (live.data, live.writer.as_json())
    return error(version=live_version(found, now), value=value)
