"""Server -> client frames shared by every route (PROTOCOL §8). Pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opensock.clock import rfc3339_seconds
from opensock.domain.model import Connection, Member, Subscription
from opensock.errors import AppError

Frame = dict[str, Any]


def connected(connection: Connection) -> Frame:
    return {
        "event": "hotsock.connected",
        "data": {
            "connectionId": connection.connection_id,
            "connectionExpiresAt": rfc3339_seconds(connection.expires_at),
            "connectionSecret": connection.secret,
        },
        "meta": connection.identity.as_json(),
    }


def error(err: AppError, channel: str | None = None) -> Frame:
    frame: Frame = {"event": "hotsock.error"}
    target = err.channel if err.channel is not None else channel
    if target is not None:
        frame["channel"] = target
    frame["error"] = {"code": err.code, "message": err.message}
    return frame


def internal_error(channel: str | None = None) -> Frame:
    return error(AppError("internal error"), channel)


def pong() -> Frame:
    # PROTOCOL §8.13: the documented frame carries `data` as the string "{}".
    return {"event": "hotsock.pong", "data": "{}"}


def keep_alive() -> Frame:
    # PROTOCOL §8.12.
    return {"event": "hotsock.keepAlive", "data": {}}


# --- channels (PROTOCOL §8.2–§8.7) --------------------------------------------------------


def subscription_meta(subscription: Subscription) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if subscription.alias:
        meta["channelAlias"] = subscription.alias
    meta.update(subscription.identity.as_json())
    return meta


def subscribed(
    subscription: Subscription,
    members: Sequence[Member] | None = None,
    *,
    auto_subscribed: bool = False,
) -> Frame:
    data: dict[str, Any] = {}
    if members is not None:
        data["members"] = [member.as_json() for member in members]
    if auto_subscribed:
        data["autoSubscribed"] = True
    return {
        "event": "hotsock.subscribed",
        "channel": subscription.channel,
        "data": data,
        "meta": subscription_meta(subscription),
    }


def unsubscribed(subscription: Subscription) -> Frame:
    return {
        "event": "hotsock.unsubscribed",
        "channel": subscription.channel,
        "data": {},
        "meta": subscription_meta(subscription),
    }


def member_event(event: str, channel: str, member: Member, members: Sequence[Member]) -> Frame:
    """`hotsock.memberAdded` / `memberUpdated` / `memberRemoved`."""
    return {
        "event": event,
        "channel": channel,
        "data": {"member": member.as_json(), "members": [m.as_json() for m in members]},
    }
