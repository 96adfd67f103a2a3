"""Reading many entries: paged listings (Q-S4 / Q-STOR-7) and the subscribe snapshot (§11.4).

Listings are ascending by key (UTF-8 byte order, DynamoDB's sort order), at most 100 items,
with no cursor: callers continue with `after` = the last key while a page is full. The
snapshot is every live entry the new subscription may `observe`, read with one Query (one
page per MB) whatever the number of keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from opensock.domain import storage_frames as frames
from opensock.domain.auth.permissions import Permissions
from opensock.domain.frames import Frame
from opensock.domain.storage_model import StorageEntry
from opensock.ports import StorageRepository

PAGE_SIZE = 100


def item(entry: StorageEntry) -> dict[str, Any]:
    return {"key": entry.key, "data": entry.data, "meta": entry.writer.as_json()}


def _after(entries: Iterable[StorageEntry], after: str | None) -> Iterable[StorageEntry]:
    if after is None:
        return entries
    floor = after.encode("utf-8")
    return (entry for entry in entries if entry.key.encode("utf-8") > floor)


def list_entries(
    repository: StorageRepository,
    channel: str,
    now: float,
    *,
    keys: Sequence[str] | None = None,
    after: str | None = None,
    visible: Callable[[str], bool] = lambda key: True,
) -> list[dict[str, Any]]:
    """One page of `{key, data, meta}` items; `keys` and `after` both filter."""
    if keys is not None:
        source: Iterable[StorageEntry] = _after(repository.get_many(channel, keys, now), after)
    else:
        source = repository.entries(channel, now, after)
    shown = (entry for entry in source if visible(entry.key))
    return [item(entry) for entry in islice(shown, PAGE_SIZE)]


def storage_snapshot_frames(
    repository: StorageRepository, channel: str, permissions: Permissions, now: float
) -> list[Frame]:
    """`hotsock.channelStorageUpdated` for every live entry the subscription may observe."""
    if not _observes_anything(permissions, channel):
        return []  # no `observe: true` under any matching entry: skip the Query
    return [
        frames.updated(entry)
        for entry in repository.entries(channel, now)
        if permissions.storage_flag(channel, entry.key, "observe")
    ]


def _observes_anything(permissions: Permissions, channel: str) -> bool:
    layers = permissions.matching_entries(channel)
    return any(
        directives.get("observe") is True
        for layer in (layers["connect"], layers["subscribe"])
        for entry in layer.values()
        for directives in entry.get("storage", {}).values()
    )
