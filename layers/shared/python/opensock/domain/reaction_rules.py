"""Reactions on stored messages (PROTOCOL §7.7, §8.10–§8.11, §16; SERVER-API §2.6, §4.2–§4.3,
§5.6): the request, the stored reaction, the frames, the pub/sub events and the aggregates.

One reaction per (uid, value, message); it expires with its message. Checks carry their codes:
a `data` that is not an object, a bad value or action (and, from servers, a bad `uid`/`umd`)
is INVALID_REACTION; a `messageId` that is not a ULID is INVALID_MESSAGE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from opensock.clock import rfc3339_seconds
from opensock.domain.envelopes import PubSubEvent
from opensock.domain.frames import Frame
from opensock.domain.model import Member, Origin
from opensock.domain.stored_messages import check_message_id
from opensock.errors import InvalidReactionError
from opensock.jsoncodec import JsonValue, size_bytes

REACTION_EVENT = "hotsock.messageReaction"
ADDED = "hotsock.messageReactionAdded"
REMOVED = "hotsock.messageReactionRemoved"
MAX_REACTION_BYTES = 100
MAX_UID_LENGTH = 128
MAX_UMD_BYTES = 1024
Action = Literal["add", "remove"]


@dataclass(frozen=True)
class ReactionRequest:
    message_id: str
    reaction: str
    action: Action
    member: Member | None = None
    """Server reactions only: the reacting `uid`/`umd` from `data` (Q-REACT-4)."""


def check_reaction_value(value: object) -> str:
    """§6: non-blank, ≤ 100 UTF-8 bytes, no `#`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidReactionError("reaction must be a non-blank string")
    if len(value.encode("utf-8", errors="replace")) > MAX_REACTION_BYTES or "#" in value:
        raise InvalidReactionError("reaction must be at most 100 bytes without #")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidReactionError("reaction must be valid Unicode") from None
    return value


def parse_reaction(data: Any, *, server: bool = False) -> ReactionRequest:
    """`data` of a reaction: `{messageId, reaction, action}` (+ `uid`, `umd` from servers)."""
    if not isinstance(data, dict):
        raise InvalidReactionError("data must be an object with messageId, reaction and action")
    message_id = check_message_id(data.get("messageId"))
    reaction = check_reaction_value(data.get("reaction"))
    action = data.get("action")
    if action not in ("add", "remove"):
        raise InvalidReactionError('action must be "add" or "remove"')
    member = None
    if server:
        uid = data.get("uid")
        if not isinstance(uid, str) or not uid or len(uid) > MAX_UID_LENGTH:
            raise InvalidReactionError("uid must be a non-empty string of at most 128 characters")
        umd = data.get("umd")
        if size_bytes(umd) > MAX_UMD_BYTES:
            raise InvalidReactionError("umd must be at most 1 KiB")
        member = Member(uid, umd)
    return ReactionRequest(message_id, reaction, action, member)


@dataclass(frozen=True)
class Reaction:
    """One user's reaction value on one stored message."""

    id: str
    """A ULID: creation order, and the pub/sub `id`."""
    channel: str
    message_id: str
    reaction: str
    member: Member
    created_at: float
    expires_at: int | None
    """The message's: a reaction expires with it."""
    origin: Origin
    """The request that added it (pub/sub metadata of both events, SERVER-API §5.7)."""

    def is_live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now


def reaction_frame(event: str, event_id: str, reaction: Reaction, actor: Member) -> Frame:
    """`hotsock.messageReactionAdded` / `…Removed` (§8.10): data echoes the request."""
    action = "add" if event == ADDED else "remove"
    return {
        "id": event_id,
        "event": event,
        "channel": reaction.channel,
        "data": {"messageId": reaction.message_id, "reaction": reaction.reaction, "action": action},
        "meta": actor.as_json(),
    }


def _millis(epoch: float) -> str:
    stamp = datetime.fromtimestamp(epoch, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def reaction_event(event: str, reaction: Reaction) -> PubSubEvent:
    """Pub/sub `messageReaction` data; metadata describes the request that added it (§5.7)."""
    data = {
        "channel": reaction.channel,
        "messageId": reaction.message_id,
        "id": reaction.id,
        "reaction": reaction.reaction,
        "uid": reaction.member.uid,
        "umd": reaction.member.umd,
        "createdAt": _millis(reaction.created_at),
        "expiresAt": None if reaction.expires_at is None else rfc3339_seconds(reaction.expires_at),
    }
    origin = reaction.origin
    if not origin.trigger.startswith("client."):
        origin = replace(origin, connection_id=None)
    metadata = {"channel": reaction.channel, "reaction": reaction.reaction, **origin.metadata()}
    return PubSubEvent(event, "messageReaction", data, metadata)


def _item(member: Member) -> dict[str, Any]:
    """`{uid, umd}` with `umd` left out when null (SERVER-API §4.2, §4.3)."""
    item: dict[str, Any] = {"uid": member.uid}
    if member.umd is not None:
        item["umd"] = member.umd
    return item


def aggregates(reactions: Iterable[Reaction], *, expand: bool) -> dict[str, Any]:
    """`reactions` of one listed message: value → `{count}` (+ `items` when expanded), values
    and items in reaction creation order."""
    result: dict[str, dict[str, Any]] = {}
    for reaction in sorted(reactions, key=lambda r: r.id):
        entry = result.setdefault(reaction.reaction, {"count": 0})
        entry["count"] += 1
        if expand:
            entry.setdefault("items", []).append(_item(reaction.member))
    return result


def listed(reactions: Iterable[Reaction]) -> list[dict[str, JsonValue]]:
    """`connection/listReactions`: every reaction, oldest first (Q-S6)."""
    return [
        {"reaction": r.reaction, **_item(r.member)} for r in sorted(reactions, key=lambda r: r.id)
    ]
