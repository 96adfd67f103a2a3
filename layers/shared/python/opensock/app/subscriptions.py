"""Subscribe and unsubscribe (PROTOCOL §7.1, §7.2), including auto-subscribe on connect.

Errors carry the channel exactly as the client sent it (Q-ERR-3). A subscription is written
with the connection's `expiresAt`, in a transaction that checks the connection record is still
live: a subscribe that races the connection's disconnect writes nothing (no orphan). The same
transaction records the channel in the connection item's `channels` set, so `$disconnect` finds
it even while gsi1 lags; past `RECORDED_CHANNELS_MAX_BYTES` names it stops recording (gsi1 alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock import registry
from opensock.app import membership
from opensock.domain import frames
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.patterns import is_exact
from opensock.domain.auth.permissions import Permissions
from opensock.domain.frames import Frame
from opensock.domain.model import Connection, Subscription
from opensock.domain.names import is_presence
from opensock.errors import (
    AppError,
    ConnectionGoneError,
    InvalidSubscribeTokenError,
    InvalidTokenError,
    NotSubscribedError,
    PresenceUserIdRequiredError,
    SubscribePermissionDeniedError,
)
from opensock.observability import count, logger

if TYPE_CHECKING:
    from opensock.wiring import Services

from opensock.domain.auth.grants import is_valid_channel_name

RECORDED_CHANNELS_MAX_BYTES = 4096
"""Budget of the connection item's `channels` set (names are never removed, docs/decisions.md):
every client request reads the connection item, so its size is bounded."""


def _records(connection: Connection, channel: str) -> bool:
    """Whether this subscribe adds `channel` to the connection's `channels` set."""
    if channel in connection.channels:
        return True
    used = sum(len(name.encode()) for name in connection.channels)
    return used + len(channel.encode()) <= RECORDED_CHANNELS_MAX_BYTES


def _token_claims(token: str | None, connection: Connection, services: Services) -> Claims | None:
    if token is None:
        return None
    return services.verifier.verify_for(
        token, scope="subscribe", connection=connection, refusal=InvalidSubscribeTokenError
    )


def permissions_for(connection: Connection, claims: Claims | None = None) -> Permissions:
    token = {key: grant.wire() for key, grant in claims.channels.items()} if claims else None
    return Permissions.from_entries(connection.grants, token)


def _build(
    connection: Connection,
    claims: Claims | None,
    perms: Permissions,
    channel: str,
    now: float,
) -> Subscription:
    uid, umd = connection.uid, connection.umd
    if claims is not None:
        uid = claims.uid if claims.uid is not None else uid
        umd = claims.user_metadata if "user_metadata" in claims.model_fields_set else umd
    entries = perms.matching_entries(channel)
    return Subscription(
        channel=channel,
        connection_id=connection.connection_id,
        uid=uid,
        umd=umd,
        created_at=now,
        expires_at=connection.expires_at,
        alias=perms.alias_for(channel),
        implicit=claims is None,
        connect_grants=entries["connect"],
        token_grants=entries["subscribe"],
        omit_from_count=perms.channel_flag(channel, "omitFromSubCount"),
    )


def _prepare(
    connection: Connection, requested: str, token: str | None, services: Services, auto: bool
) -> tuple[Subscription, Claims | None]:
    claims = _token_claims(token, connection, services)
    perms = permissions_for(connection, claims)
    channel, _ = perms.resolve_channel(requested)
    if not is_valid_channel_name(channel):
        raise SubscribePermissionDeniedError("invalid channel name")
    allowed = perms.can_auto_subscribe(channel) if auto else perms.can_subscribe(channel)
    if not allowed:
        raise SubscribePermissionDeniedError()
    sub = _build(connection, claims, perms, channel, services.clock())
    if is_presence(channel) and not sub.uid:
        raise PresenceUserIdRequiredError()
    return sub, claims


def _consume(claims: Claims | None, sub: Subscription, services: Services) -> None:
    if claims is None or not claims.is_single_use:
        return
    if services.subscriptions.get(sub.channel, sub.connection_id) is not None:
        from opensock.errors import AlreadySubscribedError

        raise AlreadySubscribedError()
    try:
        services.verifier.consume(claims)
    except InvalidTokenError:
        raise InvalidSubscribeTokenError("subscribe token already used") from None


def subscribe(
    connection: Connection,
    requested: str,
    services: Services,
    *,
    token: str | None = None,
    auto: bool = False,
) -> Subscription | None:
    """Subscribe, post `hotsock.subscribed`, notify members, emit pub/sub.

    Returns None when the connection disappeared meanwhile (nothing was written).
    """
    try:
        sub, claims = _prepare(connection, requested, token, services, auto)
        _consume(claims, sub, services)
        change = membership.join(sub, services, record=_records(connection, sub.channel))
    except ConnectionGoneError:
        count("SubscribeConnectionGone")
        return None
    except AppError as err:
        err.channel = requested
        raise
    frame = frames.subscribed(sub, change.members, auto_subscribed=auto)
    services.gateway.post(connection.connection_id, frame)
    for path in registry.AFTER_SUBSCRIBE:
        registry.load(path)(sub, services)
    membership.emit(membership.announce(change, services, joined=True), services)
    count("Subscribed")
    return sub


def auto_subscribe(connection: Connection, services: Services) -> int:
    """Auto-subscriptions after `hotsock.connected` (§2.2 step 6); failures become frames."""
    done = 0
    wanted = [
        key
        for key, entry in connection.grants.items()
        if isinstance(entry, dict) and entry.get("autoSubscribe") is True and is_exact(key)
    ]
    for channel in wanted:  # a denied one answers SUBSCRIBE_PERMISSION_DENIED (§21 item 8)
        try:
            done += subscribe(connection, channel, services, auto=True) is not None
        except AppError as err:
            logger.info("auto-subscribe refused", extra={"channel": channel, "code": err.code})
            services.gateway.post(connection.connection_id, frames.error(err, channel))
    return done


def _find(connection_id: str, requested: str, services: Services) -> Subscription | None:
    sub = services.subscriptions.get(requested, connection_id)
    if sub is not None:
        return sub
    connection = services.connections.get(connection_id)
    if connection is not None:
        channel, _ = permissions_for(connection).resolve_channel(requested)
        if channel != requested:
            return services.subscriptions.get(channel, connection_id)
    return services.subscriptions.find_by_alias(connection_id, requested)


def unsubscribe(connection_id: str, requested: str, services: Services) -> Frame:
    """Remove the subscription; returns `hotsock.unsubscribed` (the route's reply)."""
    sub = _find(connection_id, requested, services) if is_valid_channel_name(requested) else None
    change = membership.leave(sub, services) if sub is not None else None
    if sub is None or change is None:
        raise NotSubscribedError(channel=requested)
    membership.emit(membership.announce(change, services, joined=False), services)
    count("Unsubscribed")
    return frames.unsubscribed(sub)
