"""Domain types shared by every feature: a connection, who acts, and where a request came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from opensock.jsoncodec import JsonValue

Trigger = Literal["client.websocket", "client.http", "server.lambda", "server.http"]


@dataclass(frozen=True)
class Member:
    """A `{uid, umd}` pair as it appears in `meta` and presence member lists."""

    uid: str | None
    umd: JsonValue = None

    def as_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "umd": self.umd}


@dataclass(frozen=True)
class Connection:
    """One open WebSocket connection and the connect token's grants it was opened with."""

    connection_id: str
    uid: str | None
    umd: JsonValue
    grants: dict[str, Any]
    """The connect token's validated `channels` claim, in wire form."""
    secret: str
    connected_at: float
    expires_at: int
    source_ip: str | None = None
    user_agent: str | None = None
    keep_alive: bool = False
    heartbeat_timeout: int | None = None
    channels: frozenset[str] = frozenset()
    """Real names of the channels it subscribed to, recorded atomically by each subscribe.
    A superset: unsubscribing leaves the name (docs/decisions.md); `$disconnect` reads it."""

    @property
    def identity(self) -> Member:
        return Member(self.uid, self.umd)


@dataclass(frozen=True)
class Origin:
    """Where a request came from: pub/sub metadata and stored-message attributes."""

    trigger: Trigger
    request_id: str | None = None
    connection_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_metadata(cls, values: Mapping[str, Any]) -> Origin:
        """The inverse of `metadata()` and `to_json()`: camelCase keys, `server.lambda` when no
        trigger. Snake-case keys are read too: scheduled publishes made before 0.2 hold them."""

        def value(camel: str, snake: str) -> Any:
            return values.get(camel, values.get(snake))

        return cls(
            trigger=values.get("trigger", "server.lambda"),
            request_id=value("requestId", "request_id"),
            connection_id=value("connectionId", "connection_id"),
            source_ip=value("sourceIp", "source_ip"),
            user_agent=value("userAgent", "user_agent"),
        )

    def to_json(self) -> dict[str, Any]:
        """Every field, camelCase (a schedule's captured origin)."""
        return {
            "trigger": self.trigger,
            "requestId": self.request_id,
            "connectionId": self.connection_id,
            "sourceIp": self.source_ip,
            "userAgent": self.user_agent,
        }

    def metadata(self) -> dict[str, str]:
        """Pub/sub metadata keys known for this origin (unknown ones are left out)."""
        values = {
            "trigger": self.trigger,
            "requestId": self.request_id,
            "connectionId": self.connection_id,
            "sourceIp": self.source_ip,
            "userAgent": self.user_agent,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Subscription:
    """One connection's binding to one channel (PROTOCOL §7.1 step 8)."""

    channel: str
    connection_id: str
    uid: str | None
    umd: JsonValue
    created_at: float
    expires_at: int
    alias: str | None = None
    implicit: bool = True
    """Made from the connect token alone: its umd follows connection-level updates."""
    connect_grants: dict[str, Any] = field(default_factory=dict)
    """The connect token's channel entries that match this channel (key -> directives, wire
    form): `Permissions.from_entries(sub.connect_grants, sub.token_grants)`."""
    token_grants: dict[str, Any] = field(default_factory=dict)
    """The subscribe token's matching channel entries (subscription-attached directives)."""
    omit_from_count: bool = False
    resume_until: str | None = None
    """Made with `resumeAfter` (docs/extensions.md): stored messages with ids up to this one
    reach it through its resume, not the live fan-out."""
    lane: int | None = None
    """Its delivery lane (`domain/lanes.py`), fixed at subscribe; None on items written before
    lanes were stored."""

    @property
    def identity(self) -> Member:
        return Member(self.uid, self.umd)
