"""Storage entries and writes: the domain types of channel storage, and its ports.

An entry is the latest value of one key on one channel, with the `{uid, umd}` of its last
writer, its expiry and the origin of the write (PROTOCOL §11.1). Every successful write gets a
fresh `revision`, so a reader can tell whether the entry it sees is the one a writer installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opensock.domain.model import Member, Origin
from opensock.jsoncodec import JsonValue

SERVER_WRITER = Member(None, None)
"""`meta` of server-side writes (Q-STOR-2)."""


@dataclass(frozen=True)
class StorageEntry:
    channel: str
    key: str
    data: JsonValue
    writer: Member
    expires_at: int | None
    """Epoch seconds; None = never expires."""
    emit: bool
    origin: Origin
    revision: str = ""
    version: int = 0
    updated_at: float = 0.0

    def is_live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True)
class StorageWrite:
    """A validated, authorised request to set (or, with `data` None, clear) one key."""

    channel: str
    key: str
    data: JsonValue
    writer: Member
    store: int
    """Seconds to keep the value; -1 = forever."""
    emit: bool
    origin: Origin


@dataclass(frozen=True)
class WriteResult:
    """What the repository did: `changed` False means the condition found nothing to change."""

    changed: bool
    previous: StorageEntry | None = None
    """The item as it was before the write, possibly expired (the domain filters it)."""


@dataclass(frozen=True)
class Outcome:
    """A write as observers and pub/sub see it."""

    changed: bool
    previous: StorageEntry | None = None
    """The live value that was replaced (None on create)."""
    current: StorageEntry | None = None
    """The installed value (None after a clear)."""
    notified: int = 0
    """Subscriptions the change was delivered to."""


class StorageRepository(Protocol):
    """Storage entries of the one table (`store/storage.py`)."""

    def put(self, entry: StorageEntry, now: float) -> WriteResult:
        """Install `entry` unless the live value is already equal (condition on the value)."""

    def delete(self, channel: str, key: str, now: float) -> WriteResult:
        """Remove a live entry; unchanged when it is absent or expired."""

    def get(self, channel: str, key: str, now: float) -> StorageEntry | None:
        """The live entry (strongly consistent read), None when absent or expired."""

    def entries(self, channel: str, now: float, after: str | None = None) -> Iterator[StorageEntry]:
        """Live entries in ascending key order, lazily, one Query page per MB."""

    def get_many(self, channel: str, keys: Sequence[str], now: float) -> list[StorageEntry]:
        """The live entries among `keys` (≤ 100), in ascending key order."""


class ObserverDelivery(Protocol):
    """Sends one frame to every subscriber of the channel that may `observe` the key."""

    def deliver(self, channel: str, key: str, frame: dict[str, Any]) -> int:
        """Deliver synchronously; returns how many subscriptions were addressed."""
