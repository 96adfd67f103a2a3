"""Storage frames (PROTOCOL §8.8, §8.9). Pure builders."""

from __future__ import annotations

from opensock.domain.frames import Frame
from opensock.domain.storage_model import StorageEntry

UPDATED = "hotsock.channelStorageUpdated"
DATA = "hotsock.channelStorageData"
_NOBODY = {"uid": None, "umd": None}


def updated(entry: StorageEntry) -> Frame:
    """An observer's view of a live entry (a change, or one entry of the subscribe snapshot)."""
    return {
        "event": UPDATED,
        "channel": entry.channel,
        "key": entry.key,
        "data": entry.data,
        "meta": entry.writer.as_json(),
    }


def cleared(channel: str, key: str, clearer: dict[str, object] | None = None) -> Frame:
    """A clear: `data` null, `meta` the clearer's (Q-STOR-3); unknown clearer ⇒ null uid/umd."""
    return {
        "event": UPDATED,
        "channel": channel,
        "key": key,
        "data": None,
        "meta": dict(clearer or _NOBODY),
    }


def expired(channel: str, key: str) -> Frame:
    """Exact expiry (extension): the entry's TTL passed; `meta` marks it as an expiry."""
    return {
        "event": UPDATED,
        "channel": channel,
        "key": key,
        "data": None,
        "meta": {**_NOBODY, "expired": True},
    }


def data(channel: str, key: str, entry: StorageEntry | None, versioned: bool = False) -> Frame:
    """Reply to a get: `data` and `meta` null when there is no live value. `versioned`
    (extension): `meta` is always an object with `version` (0 = absent)."""
    meta = None if entry is None else entry.writer.as_json()
    if versioned:
        meta = {**(meta or _NOBODY), "version": 0 if entry is None else entry.version}
    return {
        "event": DATA,
        "channel": channel,
        "key": key,
        "data": None if entry is None else entry.data,
        "meta": meta,
    }
