"""Pub/sub envelopes (SERVER-API §5.2): `source`, `type`, `metadata`, `data`, `dataType`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opensock import HOTSOCK_VERSION
from opensock.clock import rfc3339_nanos
from opensock.domain.model import Connection

SOURCE = "hotsock.v1"
# SNS attributes copied from metadata for channelStorageUpdated (SERVER-API §5.4).
STORAGE_ATTRIBUTES = ("channel", "key", "trigger")


@dataclass(frozen=True)
class PubSubEvent:
    type: str
    data_type: str
    data: dict[str, Any]
    metadata: dict[str, str] = field(default_factory=dict)

    def envelope(self) -> dict[str, Any]:
        metadata = {k: v for k, v in self.metadata.items() if v}
        metadata["hotsockVersion"] = HOTSOCK_VERSION
        return {
            "source": SOURCE,
            "type": self.type,
            "metadata": dict(sorted(metadata.items())),
            "data": self.data,
            "dataType": self.data_type,
        }

    def sns_attributes(self) -> dict[str, dict[str, str]]:
        names: dict[str, str] = {"source": SOURCE, "type": self.type, "dataType": self.data_type}
        extra = {k: v for k, v in self.metadata.items() if v and k != "hotsockVersion"}
        if self.type == "hotsock.channelStorageUpdated":
            extra = {k: v for k, v in extra.items() if k in STORAGE_ATTRIBUTES}
        names.update(extra)
        return {k: {"DataType": "String", "StringValue": v} for k, v in names.items()}


def connection_event(
    event_type: str, connection: Connection, disconnected_at: float | None = None
) -> PubSubEvent:
    """`hotsock.connected` / `hotsock.disconnected` / `hotsock.connectionUpdated`."""
    data = {
        "id": connection.connection_id,
        "connectedAt": rfc3339_nanos(connection.connected_at),
        "disconnectedAt": None if disconnected_at is None else rfc3339_nanos(disconnected_at),
        "keepAlive": connection.keep_alive,
        "sourceIp": connection.source_ip,
        "uid": connection.uid,
        "umd": connection.umd,
        "userAgent": connection.user_agent,
    }
    return PubSubEvent(type=event_type, data_type="connection", data=data)
