"""Pub/sub events of channels (SERVER-API §5.6–§5.7): subscriptions, counts, members, messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opensock.domain.envelopes import PubSubEvent
from opensock.domain.model import Member, Origin, Subscription


def subscription_event(event_type: str, sub: Subscription) -> PubSubEvent:
    """`hotsock.subscribed` / `hotsock.unsubscribed` with the subscription's effective uid/umd."""
    data = {
        "channel": sub.channel,
        "connectionId": sub.connection_id,
        "uid": sub.uid,
        "umd": sub.umd,
    }
    return PubSubEvent(event_type, "subscription", data, {"channel": sub.channel})


def channel_updated(channel: str, subscriptions_count: int) -> PubSubEvent:
    data = {"name": channel, "subscriptionsCount": subscriptions_count}
    return PubSubEvent("hotsock.channelUpdated", "channel", data, {"channel": channel})


def member_event(
    event_type: str, channel: str, member: Member, members: Sequence[Member]
) -> PubSubEvent:
    """`hotsock.memberAdded/Removed/Updated`: uid/umd at the root, then the list after."""
    data = {"uid": member.uid, "umd": member.umd, "members": [m.as_json() for m in members]}
    return PubSubEvent(event_type, "channelMember", data, {"channel": channel})


def message_published(message: dict[str, Any], origin: Origin) -> PubSubEvent:
    """`hotsock.messagePublished`; `meta` only for client messages with a uid or umd."""
    data: dict[str, Any] = {
        "channel": message["channel"],
        "event": message["event"],
        "id": message["id"],
        "data": message.get("data"),
    }
    meta = message.get("meta")
    client = origin.trigger.startswith("client.")
    if client and meta and (meta.get("uid") is not None or meta.get("umd") is not None):
        data["meta"] = meta
    metadata = {"channel": message["channel"], "event": message["event"], **origin.metadata()}
    if not client:
        metadata.pop("connectionId", None)
    return PubSubEvent("hotsock.messagePublished", "message", data, metadata)
