"""Fan-out jobs: plain, JSON-serialisable data (a job may travel through SQS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from opensock.domain.frames import Frame

AudienceKind = Literal["all", "observers"]


@dataclass(frozen=True)
class Audience:
    """Who on the channel receives the frame: everyone, or observers of one storage key."""

    kind: AudienceKind = "all"
    key: str | None = None

    ALL: ClassVar[Audience]

    @classmethod
    def observers(cls, key: str) -> Audience:
        return cls("observers", key)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Audience:
        return cls(value.get("kind", "all"), value.get("key"))


Audience.ALL = Audience()


@dataclass(frozen=True)
class FanoutJob:
    channel: str
    frame: Frame
    exclude_connection_id: str | None = None
    audience: Audience = field(default=Audience.ALL)
    stored_id: str | None = None
    """The id of a stored message: subscriptions resuming up to it get it from their resume."""

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "frame": self.frame,
            "excludeConnectionId": self.exclude_connection_id,
            "audience": self.audience.to_json(),
            "storedId": self.stored_id,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> FanoutJob:
        return cls(
            channel=value["channel"],
            frame=value["frame"],
            exclude_connection_id=value.get("excludeConnectionId"),
            audience=Audience.from_json(value.get("audience") or {}),
            stored_id=value.get("storedId"),
        )


@dataclass(frozen=True)
class FanoutBatch:
    """One lane of a large fan-out: the frame and the connections to post it to."""

    channel: str
    frame: Frame
    connection_ids: tuple[str, ...]
    lane: int = 0
    own: bool = False
    """A single connection's copy in its own FIFO group (it fell out of `lane`)."""

    def to_json(self) -> dict[str, Any]:
        body = {
            "channel": self.channel,
            "frame": self.frame,
            "connectionIds": list(self.connection_ids),
            "lane": self.lane,
        }
        return {**body, "own": True} if self.own else body

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> FanoutBatch:
        return cls(
            channel=value["channel"],
            frame=value["frame"],
            connection_ids=tuple(value["connectionIds"]),
            lane=int(value.get("lane", 0)),
            own=bool(value.get("own", False)),
        )
