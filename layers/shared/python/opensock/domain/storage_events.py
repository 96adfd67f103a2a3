"""`hotsock.channelStorageUpdated` pub/sub events (SERVER-API §5.6, §5.7, Q-P2)."""

from __future__ import annotations

from opensock.clock import rfc3339_seconds
from opensock.domain.envelopes import PubSubEvent
from opensock.domain.model import Member, Origin
from opensock.jsoncodec import JsonValue

STORAGE_UPDATED = "hotsock.channelStorageUpdated"
_METADATA_KEYS = ("trigger", "connectionId", "sourceIp", "userAgent")


def _metadata(channel: str, key: str, origin: Origin) -> dict[str, str]:
    # The documented metadata has no requestId (SERVER-API §5.7); connectionId only for clients.
    known = origin.metadata()
    if not origin.trigger.startswith("client."):
        known.pop("connectionId", None)
    picked = {name: known[name] for name in _METADATA_KEYS if name in known}
    return {"channel": channel, "key": key, **picked}


def storage_updated(
    *,
    channel: str,
    key: str,
    data: JsonValue,
    previous: JsonValue,
    expires_at: int | None,
    writer: Member,
    origin: Origin,
    expired: bool = False,
) -> PubSubEvent:
    """One change of an entry: a create, update, clear (data None) or TTL expiry (`expired`)."""
    return PubSubEvent(
        type=STORAGE_UPDATED,
        data_type="channelStorage",
        data={
            "channel": channel,
            "key": key,
            "data": data,
            "dataPrevious": previous,
            "expired": expired,
            "expiresAt": None if expires_at is None else rfc3339_seconds(expires_at),
            "meta": writer.as_json(),
        },
        metadata=_metadata(channel, key, origin),
    )
