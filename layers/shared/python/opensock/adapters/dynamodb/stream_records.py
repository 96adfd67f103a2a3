"""The table's stream, read for storage entries that DynamoDB's TTL sweeper removed.

A TTL deletion is a `REMOVE` record made by the service principal `dynamodb.amazonaws.com`
(AWS DynamoDB TTL docs); a clear made by a client is a `REMOVE` by the table's user and is
not an expiry. The template's event-source filter keeps only TTL removals; this check makes
the handler correct without it (e.g. on the local stack).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.codec import from_item
from opensock.adapters.dynamodb.storage_table import entry_from_item
from opensock.domain.storage_model import StorageEntry

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def is_ttl_removal(record: Mapping[str, Any]) -> bool:
    identity = record.get("userIdentity") or {}
    return (
        record.get("eventName") == "REMOVE"
        and identity.get("type") == "Service"
        and identity.get("principalId") == TTL_PRINCIPAL
    )


def expired_entries(records: Iterable[Mapping[str, Any]]) -> list[StorageEntry]:
    """Storage entries in TTL-removal records (other items and other records are skipped)."""
    found = []
    for record in records:
        image = (record.get("dynamodb") or {}).get("OldImage")
        if not image or not is_ttl_removal(record):
            continue
        values = from_item(image)
        if str(values.get("sk", "")).startswith(keys.STORAGE_PREFIX):
            found.append(entry_from_item(values))
    return found


class TtlStreamDecoder:
    """The `StreamDecoder` port over the table's stream records."""

    def expired_entries(self, records: Iterable[Mapping[str, Any]]) -> list[StorageEntry]:
        return expired_entries(records)
