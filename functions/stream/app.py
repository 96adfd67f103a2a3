"""StreamFunction: TTL removals of storage entries -> `hotsock.channelStorageUpdated` (§11.5)."""

from typing import Any

from opensock.adapters.dynamodb.stream_records import expired_entries
from opensock.app.storage_expiry import emit_expirations
from opensock.edge.invocations import lambda_entry
from opensock.wiring import Services


@lambda_entry
def lambda_handler(event: dict[str, Any], services: Services) -> dict[str, int]:
    entries = expired_entries(event.get("Records") or [])
    return {"expired": len(entries), "emitted": emit_expirations(entries, services.pubsub)}
