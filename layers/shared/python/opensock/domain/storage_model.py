"""Storage entries and writes: the domain types of channel storage.

An entry is the latest value of one key on one channel, with the `{uid, umd}` of its last
writer, its expiry and the origin of the write (PROTOCOL §11.1). Every successful write gets a
fresh `revision`, so a reader can tell whether the entry it sees is the one a writer installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    counter: bool = False
    """Held in a number attribute, so increments are one atomic update (docs/extensions.md)."""

    def is_live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


def live_version(entry: StorageEntry | None, now: float) -> int:
    """The version a condition compares with: 0 when there is no live entry."""
    return entry.version if entry is not None and entry.is_live(now) else 0


@dataclass(frozen=True)
class Increment:
    """An atomic counter step (extension): `by` ≠ 0, bounds on the result in its direction."""

    by: int
    low: int | None = None
    high: int | None = None

    def allows(self, value: int) -> bool:
        """May an increment produce `value`? Only the bound it moves towards is checked."""
        if self.by > 0:
            return self.high is None or value <= self.high
        return self.low is None or value >= self.low

    def to_json(self) -> dict[str, Any]:
        return {"by": self.by, "min": self.low, "max": self.high}


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
    expected_version: int | None = None
    """Conditional write (extension): only if the live version is this (0 = absent)."""
    increment: Increment | None = None
    """Counter step (extension): `data` is ignored."""
    deduplication_id: str | None = None
    """Server writes (S §2.5): a repeat of the id within the window is dropped."""


@dataclass(frozen=True)
class WriteResult:
    """What the repository did: `changed` False means the condition found nothing to change."""

    changed: bool
    previous: StorageEntry | None = None
    """The item as it was before the write (or when the condition failed), possibly expired
    (the domain filters it)."""
    current: StorageEntry | None = None
    """The item as written, when the repository read it back (increments)."""


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


def write_to_json(write: StorageWrite) -> dict[str, Any]:
    """A write captured in a schedule's payload (applied at fire time as it was accepted)."""
    captured = {
        "channel": write.channel,
        "key": write.key,
        "data": write.data,
        "store": write.store,
        "emitPubSubEvent": write.emit,
        "meta": write.writer.as_json(),
    }
    if write.expected_version is not None:
        captured["ifVersion"] = write.expected_version
    if write.increment is not None:
        captured["increment"] = write.increment.to_json()
    if write.deduplication_id:  # applied at fire time (S §2.3 step 2)
        captured["deduplicationId"] = write.deduplication_id
    return captured


def write_from_json(request: Mapping[str, Any], origin: Mapping[str, Any]) -> StorageWrite:
    meta = request.get("meta") or {}
    return StorageWrite(
        channel=request["channel"],
        key=request["key"],
        data=request.get("data"),
        writer=Member(meta.get("uid"), meta.get("umd")),
        store=int(request.get("store", -1)),
        emit=bool(request.get("emitPubSubEvent", False)),
        origin=Origin.from_metadata(origin),
        expected_version=request.get("ifVersion"),
        increment=_increment_from_json(request.get("increment")),
        deduplication_id=request.get("deduplicationId") or None,
    )


def _increment_from_json(captured: Mapping[str, Any] | None) -> Increment | None:
    if captured is None:
        return None
    return Increment(int(captured["by"]), captured.get("min"), captured.get("max"))
