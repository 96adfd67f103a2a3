"""Keys of the single table: partition/sort key builders and the TTL attribute (pure)."""

from __future__ import annotations

TTL_ATTRIBUTE = "expiresAt"
CHANNELS_ATTRIBUTE = "channels"
"""The connection item's string set of the channels it subscribed to."""
GSI1 = "gsi1"
GSI2 = "gsi2"
"""The sweep index: connection items only (`gsi2pk` = `sweep#{slot}`, sort key `expiresAt`)."""

CONNECTION_SK = "conn"
CHANNEL_META_SK = "meta"
JTI_SK = "jti"

SUBSCRIPTION_PREFIX = "sub#"
MEMBER_PREFIX = "member#"
STORAGE_PREFIX = "storage#"
MESSAGE_PREFIX = "msg#"
REACTION_PREFIX = "rxn#"
SCHEDULE_PREFIX = "sched#"
LANE_PREFIX = "lane#"
CHANNEL_EVENT_ATTRIBUTE = "channelEvent"
"""Key of the optional channel+event index (`MessageDataTableChannelEventGSIParameter`)."""


def connection_pk(connection_id: str) -> str:
    return f"conn#{connection_id}"


def channel_pk(channel: str) -> str:
    return f"chan#{channel}"


def subscription_sk(connection_id: str) -> str:
    return f"{SUBSCRIPTION_PREFIX}{connection_id}"


def subscription_gsi1sk(channel: str) -> str:
    return f"{SUBSCRIPTION_PREFIX}{channel}"


def lane_sk(lane: int) -> str:
    return f"{LANE_PREFIX}{lane}"


def member_sk(uid: str) -> str:
    return f"{MEMBER_PREFIX}{uid}"


def storage_sk(key: str) -> str:
    return f"{STORAGE_PREFIX}{key}"


def message_sk(message_id: str) -> str:
    return f"{MESSAGE_PREFIX}{message_id}"


def reaction_sk(message_id: str, reaction: str, uid: str) -> str:
    """One item per (message, value, uid): the value holds no `#`, so the uid is the rest."""
    return f"{REACTION_PREFIX}{message_id}#{reaction}#{uid}"


def sweep_pk(slot: int) -> str:
    return f"sweep#{slot}"


def sweep_slot_of(connection_id: str, slots: int) -> int:
    """A connection's sweep slot: a stable hash of its id."""
    import zlib

    return zlib.crc32(connection_id.encode("utf-8")) % slots


def jti_pk(jti: str) -> str:
    return f"jti#{jti}"


def is_live(item_expires_at: object, now: float) -> bool:
    """An item is live until its `expiresAt` (absent = forever). DynamoDB TTL lags: filter."""
    if item_expires_at is None:
        return True
    return float(str(item_expires_at)) > now
