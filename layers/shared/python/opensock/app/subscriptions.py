"""Subscribe and unsubscribe (PROTOCOL §7.1, §7.2), including auto-subscribe on connect.

Errors carry the channel exactly as the client sent it (Q-ERR-3). A subscription is written
with the connection's `expiresAt`, then the connection record is checked to be still live
(`Membership.join`): a subscribe that races the connection's disconnect leaves nothing
written (no orphan). The same check records the channel in the connection item's `channels`
set, so `$disconnect` finds it even while gsi1 lags; past `RECORDED_CHANNELS_MAX_BYTES` names
it stops recording (gsi1 alone). Each subscription gets its delivery lane here, once
(`domain/lanes.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from opensock.app.membership import Membership
from opensock.clock import Clock
from opensock.domain import frames
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.grants import is_valid_channel_name
from opensock.domain.auth.patterns import is_exact
from opensock.domain.auth.permissions import Permissions
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.frames import Frame
from opensock.domain.lanes import LANE_SIZE, choose_lane, lane_draw
from opensock.domain.model import Connection, Subscription
from opensock.domain.names import is_presence
from opensock.domain.storage_access import SubscriptionLookup
from opensock.domain.stored_messages import highest_id
from opensock.errors import (
    AlreadySubscribedError,
    AppError,
    ConflictError,
    ConnectionGoneError,
    InvalidSubscribeTokenError,
    InvalidTokenError,
    NotSubscribedError,
    PresenceUserIdRequiredError,
    SubscribePermissionDeniedError,
)
from opensock.observability import count, logger
from opensock.ports import (
    ChannelMetaRepository,
    ClientReader,
    ConnectionGateway,
    ConnectionRepository,
    SubscriptionRepository,
)

RECORDED_CHANNELS_MAX_BYTES = 4096
"""Budget of the connection item's `channels` set (names are never removed, docs/decisions.md):
every client request reads the connection item, so its size is bounded."""

AfterSubscribe = Callable[[Subscription], object]
"""Runs right after `hotsock.subscribed` was posted (the storage snapshot)."""
Resume = Callable[[Subscription, str, str], object]
"""`resumeAfter` (docs/extensions.md): (subscription, message id, channel as requested)."""
RESUME_HANDOFF_SECONDS = 1.0
"""How far ahead of a resuming subscription's creation its resume cutoff lies: live publishers
read subscriptions eventually consistently, so one may not see it yet for this long."""


def permissions_for(connection: Connection, claims: Claims | None = None) -> Permissions:
    token = {key: grant.wire() for key, grant in claims.channels.items()} if claims else None
    return Permissions.from_entries(connection.grants, token)


def target_subscription(
    connection: Connection, requested: str, lookup: SubscriptionLookup
) -> tuple[str, Subscription | None]:
    """The real channel and the connection's subscription to it (aliases resolved, Q-PERM-6)."""
    channel, _ = permissions_for(connection).resolve_channel(requested)
    sub = lookup.get(channel, connection.connection_id)
    if sub is None and channel == requested and requested not in connection.grants:
        aliased = lookup.find_by_alias(connection.connection_id, requested)
        if aliased is not None:
            return aliased.channel, aliased
    return channel, sub


def _records(connection: Connection, channel: str) -> bool:
    """Whether this subscribe adds `channel` to the connection's `channels` set: not when it
    is there already (the set only grows), nor past the budget (then gsi1 alone finds it)."""
    if channel in connection.channels:
        return False
    used = sum(len(name.encode()) for name in connection.channels)
    return used + len(channel.encode()) <= RECORDED_CHANNELS_MAX_BYTES


def _build(
    connection: Connection, claims: Claims | None, perms: Permissions, channel: str, now: float
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


class Subscriptions:
    def __init__(
        self,
        connections: ConnectionRepository,
        subscriptions: SubscriptionRepository,
        verifier: TokenVerifier,
        gateway: ConnectionGateway,
        membership: Membership,
        clock: Clock,
        after_subscribe: Sequence[AfterSubscribe] = (),
        *,
        resume: Resume | None = None,
        resume_handoff_seconds: float = RESUME_HANDOFF_SECONDS,
        reads: ClientReader,
        channel_meta: ChannelMetaRepository,
        lane_size: int = LANE_SIZE,
    ) -> None:
        self._connections = connections
        self._subscriptions = subscriptions
        self._verifier = verifier
        self._gateway = gateway
        self._membership = membership
        self._clock = clock
        self._after_subscribe = tuple(after_subscribe)
        self._resume = resume
        self._handoff = resume_handoff_seconds
        self._reads = reads
        self._channel_meta = channel_meta
        self._lane_size = lane_size

    def subscribe_from_socket(
        self,
        connection_id: str,
        channel: str,
        token: str | None,
        resume_after: str | None = None,
    ) -> None:
        """`hotsock.subscribe`: the connection must still be open. For a presence channel its
        read brings the channel's count along (the lane is chosen before the member
        transaction); a standard channel's count update picks the lane (`Membership.join`)."""
        channel_count = None
        if is_presence(channel):
            connection, count = self._reads.connection_and_count(connection_id, channel)
            channel_count = (channel, count)
        else:
            connection = self._connections.get(connection_id)
        if connection is None:
            raise SubscribePermissionDeniedError("connection is not open", channel=channel)
        self.subscribe(
            connection,
            channel,
            token=token,
            resume_after=resume_after,
            channel_count=channel_count,
        )

    def subscribe(
        self,
        connection: Connection,
        requested: str,
        *,
        token: str | None = None,
        auto: bool = False,
        resume_after: str | None = None,
        channel_count: tuple[str, int] | None = None,
    ) -> Subscription | None:
        """Subscribe, post `hotsock.subscribed`, notify members, emit pub/sub; with
        `resume_after`, then deliver the stored messages after it (docs/extensions.md).

        Returns None when the connection disappeared meanwhile (nothing is left written).
        `channel_count`: a channel's subscriptionsCount already read (`subscribe_from_socket`).
        """
        try:
            sub, claims = self._prepare(connection, requested, token, auto, channel_count)
            if resume_after is not None and self._resume is not None:
                cutoff = highest_id(int((self._clock() + self._handoff) * 1000))
                sub = replace(sub, resume_until=cutoff)
            self._consume(claims, sub)
            record = _records(connection, sub.channel)
            change = self._membership.join(sub, record=record, lane_for=self._lane_for(sub))
        except ConnectionGoneError:
            count("SubscribeConnectionGone")
            return None
        except ConflictError:
            # hotsock-js waits on a subscribe for one of its four codes (§20.4); §9.3 names
            # SUBSCRIBE_PERMISSION_DENIED for failures with no documented code.
            message = "channel too busy; subscribe again"
            raise SubscribePermissionDeniedError(message, channel=requested) from None
        except AppError as err:
            err.channel = requested
            raise
        frame = frames.subscribed(sub, change.members, auto_subscribed=auto)
        self._gateway.post(connection.connection_id, frame)
        for hook in self._after_subscribe:
            hook(sub)
        self._membership.emit(self._membership.announce(change, joined=True))
        count("Subscribed")
        if resume_after is not None and self._resume is not None:
            self._resume(sub, resume_after, requested)
        return sub

    def auto_subscribe(self, connection: Connection) -> int:
        """Auto-subscriptions after `hotsock.connected` (§2.2 step 6); failures become frames."""
        done = 0
        wanted = [
            key
            for key, entry in connection.grants.items()
            if isinstance(entry, dict) and entry.get("autoSubscribe") is True and is_exact(key)
        ]
        for channel in wanted:  # a denied one answers SUBSCRIBE_PERMISSION_DENIED (§21 item 8)
            try:
                done += self.subscribe(connection, channel, auto=True) is not None
            except AppError as err:
                logger.info("auto-subscribe refused", extra={"channel": channel, "code": err.code})
                self._gateway.post(connection.connection_id, frames.error(err, channel))
        return done

    def unsubscribe(self, connection_id: str, requested: str) -> Frame:
        """Remove the subscription; returns `hotsock.unsubscribed` (the route's reply)."""
        sub = self._find(connection_id, requested) if is_valid_channel_name(requested) else None
        change = self._membership.leave(sub) if sub is not None else None
        if sub is None or change is None:
            raise NotSubscribedError(channel=requested)
        self._membership.emit(self._membership.announce(change, joined=False))
        count("Unsubscribed")
        return frames.unsubscribed(sub)

    def _prepare(
        self,
        connection: Connection,
        requested: str,
        token: str | None,
        auto: bool,
        channel_count: tuple[str, int] | None = None,
    ) -> tuple[Subscription, Claims | None]:
        claims = self._token_claims(token, connection)  # §7.1 step 1
        perms = permissions_for(connection, claims)
        channel, _ = perms.resolve_channel(requested)  # step 2
        if not is_valid_channel_name(channel):
            raise SubscribePermissionDeniedError("invalid channel name")
        try:
            sub = self._admit(connection, claims, perms, channel, auto)
            if is_presence(channel) or sub.omit_from_count:  # else the count update picks it
                sub = replace(sub, lane=self._lane(connection, channel, channel_count))
            return sub, claims
        except AppError:
            # Step 3 comes before steps 4-6, but is read only when one of them refuses: an
            # admitted subscribe learns it from the join's own condition, at no extra request.
            if self._subscriptions.get(channel, connection.connection_id) is not None:
                raise AlreadySubscribedError() from None
            raise

    def _admit(
        self,
        connection: Connection,
        claims: Claims | None,
        perms: Permissions,
        channel: str,
        auto: bool,
    ) -> Subscription:
        """§7.1 steps 4-6: the `subscribe` permission, then the subscription's uid/umd."""
        allowed = perms.can_auto_subscribe(channel) if auto else perms.can_subscribe(channel)
        if not allowed:
            raise SubscribePermissionDeniedError()
        sub = _build(connection, claims, perms, channel, self._clock())
        if is_presence(channel) and not sub.uid:
            raise PresenceUserIdRequiredError()
        return sub

    def _lane(
        self, connection: Connection, channel: str, channel_count: tuple[str, int] | None
    ) -> int:
        """The delivery lane, fixed for the subscription's life (`domain/lanes.py`), of a
        presence or uncounted subscription: from the count read with the connection; else (an
        alias, auto-subscribe) one eventually consistent read of it (0.5 RRU)."""
        if channel_count is not None and channel_count[0] == channel:
            subscriptions = channel_count[1]
        else:
            subscriptions = self._channel_meta.subscriptions_count(channel)
        draw = lane_draw(channel, connection.connection_id)
        return choose_lane(subscriptions, draw, self._lane_size)

    def _lane_for(self, sub: Subscription) -> Callable[[int], int] | None:
        """For a subscription whose lane is not chosen yet: the lane from the count before it."""
        if sub.lane is not None:
            return None
        draw = lane_draw(sub.channel, sub.connection_id)
        return lambda subscriptions: choose_lane(subscriptions, draw, self._lane_size)

    def _token_claims(self, token: str | None, connection: Connection) -> Claims | None:
        if token is None:
            return None
        return self._verifier.verify_for(
            token, scope="subscribe", connection=connection, refusal=InvalidSubscribeTokenError
        )

    def _consume(self, claims: Claims | None, sub: Subscription) -> None:
        if claims is None or not claims.is_single_use:
            return
        if self._subscriptions.get(sub.channel, sub.connection_id) is not None:
            raise AlreadySubscribedError()
        try:
            self._verifier.consume(claims)
        except InvalidTokenError:
            raise InvalidSubscribeTokenError("subscribe token already used") from None

    def _find(self, connection_id: str, requested: str) -> Subscription | None:
        sub = self._subscriptions.get(requested, connection_id)
        if sub is not None:
            return sub
        connection = self._connections.get(connection_id)
        if connection is not None:
            channel, _ = permissions_for(connection).resolve_channel(requested)
            if channel != requested:
                return self._subscriptions.get(channel, connection_id)
        return self._subscriptions.find_by_alias(connection_id, requested)
