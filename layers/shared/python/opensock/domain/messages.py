"""Messages: what a publish becomes (PROTOCOL §8.4).

An `Outgoing` is a publish that passed its checks: JSON-serialisable, so it can be delivered
now or captured in a schedule and delivered at fire time with the same identity (§14.3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ulid import ULID

from opensock.domain.frames import Frame
from opensock.domain.model import Member
from opensock.jsoncodec import JsonValue

DEDUP_WINDOW_SECONDS = 300


def new_message_id() -> str:
    """A ULID, strictly increasing within this process."""
    return str(ULID())


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
