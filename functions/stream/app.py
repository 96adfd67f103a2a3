"""StreamFunction: TTL removals of storage entries -> `hotsock.channelStorageUpdated` (§11.5)."""

from typing import Any

from opensock.entry import lambda_entry
from opensock.services import Services
from opensock.storage.expiry import emit_expirations
from opensock.store.storage_stream import expired_entries


@lambda_entry
def lambda_handler(event: dict[str, Any], services: Services) -> dict[str, int]:
    entries = expired_entries(event.get("Records") or [])
    return {"expired": len(entries), "emitted": emit_expirations(entries, services.pubsub)}
