"""Messages: what a publish becomes (PROTOCOL §8.4, §15).

An `Outgoing` is a publish that passed its checks: JSON-serialisable, so it can be delivered
now or captured in a schedule and delivered at fire time with the same identity (§14.3),
`store` included. Ids are ULIDs of the processing time, strictly increasing within a process.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from ulid import ULIDGenerator

from opensock.domain.frames import Frame
from opensock.domain.model import Connection, Member, Origin
from opensock.domain.stored_messages import StoredMessage
from opensock.errors import InvalidStoreError
from opensock.jsoncodec import JsonValue

MAX_STORE_SECONDS = 3_155_695_200
DEDUP_WINDOW_SECONDS = 300
"""A `deduplicationId` is remembered this long (SERVER-API §2.2)."""
FOREVER = -1
_IDS = ULIDGenerator()


def new_message_id(now: float | None = None) -> str:
    """A ULID of `now` (the clock's time; the system's when None), strictly increasing within
    this process for ids of the same millisecond."""
    return str(_IDS.generate(None if now is None else int(now * 1000)))


def message_expiry(now: float, store: int) -> int | None:
    """`expiresAt` of a message stored for `store` seconds: at least that long; None = forever."""
    return None if store == FOREVER else math.ceil(now + store)


@dataclass(frozen=True)
class Outgoing:
    channel: str
    event: str
    data: JsonValue = None
    meta: Member | None = None
    """Sender identity; client messages always carry it, server messages never."""
    exclude_connection_id: str | None = None
    emit_pub_sub_event: bool = False
    message_id: str | None = None
    """Set at request time with `eagerIdGeneration`."""
    deduplication_id: str | None = None
    store: int = 0
    """Retention in seconds: `0` not stored, `-1` forever (§15)."""

    def stored(self, message_id: str, origin: Origin, now: float) -> StoredMessage:
        return StoredMessage(
            id=message_id,
            channel=self.channel,
            event=self.event,
            data=self.data,
            meta=self.meta,
            expires_at=message_expiry(now, self.store),
            origin=origin,
        )

    def frame(self, message_id: str) -> Frame:
        frame: Frame = {
            "id": message_id,
            "event": self.event,
            "channel": self.channel,
            "data": self.data,
        }
        if self.meta is not None:
            frame["meta"] = self.meta.as_json()
        return frame

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["meta"] = self.meta.as_json() if self.meta is not None else None
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Outgoing:
        meta = value.get("meta")
        fields = {**value, "meta": Member(meta["uid"], meta.get("umd")) if meta else None}
        return cls(**fields)


def sender_origin(connection: Connection, origin: Origin) -> Origin:
    """WebSocket publishes report the connection's IP and User-Agent from connect (S §5.7):
    message events carry no headers."""
    if origin.trigger != "client.websocket":
        return origin
    return replace(
        origin,
        source_ip=connection.source_ip or origin.source_ip,
        user_agent=connection.user_agent or origin.user_agent,
    )


def check_store(store: int | None) -> None:
    if store is not None and store != -1 and not 0 <= store <= MAX_STORE_SECONDS:
        raise InvalidStoreError("store must be -1, 0 or 1..3155695200")
