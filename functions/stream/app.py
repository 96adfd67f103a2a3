"""StreamFunction: TTL removals of storage entries -> `hotsock.channelStorageUpdated` (§11.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import invocation

if TYPE_CHECKING:
    from opensock.wiring import App


@invocation
def lambda_handler(event: dict[str, Any], app: App) -> dict[str, int]:
    expired, emitted = app.storage_expiry.expire(event.get("Records") or [])
    return {"expired": expired, "emitted": emitted}
