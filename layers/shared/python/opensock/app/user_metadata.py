"""Live user metadata updates (PROTOCOL §12): per channel, or for the connection (propagated).

The umd token is verified like every token (§3.8): scope `umd`, bound to this connection by
`connectionId` or a `uid` equal to the connection's (§3.6); any defect is `INVALID_UMD_TOKEN`.
A `singleUse` token is consumed once every other check has passed (Q-AUTH-4).

Per channel: the subscription's umd changes; on a presence channel every member, the updater
included, gets `hotsock.memberUpdated`. Connection level: the connection's default umd changes
(later implicit subscriptions read it); with `umdPropagate` every existing subscription is
rewritten too, all capacity checks first, then one transaction. `hotsock.connectionUpdated` is
emitted only when the stored value really changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from opensock.app.membership import Membership
from opensock.app.retry import Sleep, attempts
from opensock.app.subscriptions import permissions_for
from opensock.clock import Clock
from opensock.domain import channel_events, frames
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.envelopes import PubSubEvent, connection_event
from opensock.domain.model import Connection, Subscription
from opensock.domain.names import is_presence
from opensock.domain.requests import UserMetadataUpdateFrame, UserMetadataUpdateRequest
from opensock.domain.user_metadata_plan import (
    SubscriptionGoneError,
    SubscriptionUpdate,
    check_capacity,
    check_channel_update,
    check_connection_update,
    plan_update,
    same_json,
)
from opensock.errors import (
    AppError,
    ConflictError,
    InvalidTokenError,
    InvalidUmdTokenError,
    NotSubscribedError,
    UmdUpdatePermissionDeniedError,
)
from opensock.jsoncodec import JsonValue
from opensock.observability import count, logger
from opensock.ports import (
    ConnectionRepository,
    MemberRepository,
    SubscriptionRepository,
    UserMetadataRepository,
)

Loader = Callable[[frozenset[str]], list[Subscription]]
"""Re-reads the subscriptions to update, leaving out the channels found gone meanwhile."""


class UserMetadata:
    def __init__(
        self,
        connections: ConnectionRepository,
        subscriptions: SubscriptionRepository,
        members: MemberRepository,
        table: UserMetadataRepository,
        verifier: TokenVerifier,
        membership: Membership,
        clock: Clock,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._connections = connections
        self._subscriptions = subscriptions
        self._members = members
        self._table = table
        self._verifier = verifier
        self._membership = membership
        self._clock = clock
        self._sleep = sleep

    def update_from_socket(self, connection_id: str, request: UserMetadataUpdateFrame) -> None:
        """`hotsock.umdUpdate`. Without a subscription the answer is
        `UMD_UPDATE_PERMISSION_DENIED`: hotsock-js would take `NOT_SUBSCRIBED` as an unsubscribe
        answer (PROTOCOL §9.2, Q-ERR)."""
        connection = self._connections.get(connection_id)
        if connection is None:
            raise UmdUpdatePermissionDeniedError("connection is not open", channel=request.channel)
        try:
            self._update(connection, request.token, request.channel)
        except NotSubscribedError as err:
            message = "not subscribed to this channel"
            raise UmdUpdatePermissionDeniedError(message, channel=err.channel) from None

    def update(self, connection: Connection, request: UserMetadataUpdateRequest) -> None:
        """`POST /connection/umdUpdate` (S §4.9)."""
        self._update(connection, request.token, request.channel)

    def _update(self, connection: Connection, token: str, channel: str | None) -> None:
        """Verify the umd token and apply the update it carries; refusals change nothing."""
        claims = self._verifier.verify_for(
            token, scope="umd", connection=connection, refusal=InvalidUmdTokenError
        )
        if channel is None:
            self._update_connection(connection, claims)
            return
        try:
            self._update_channel(connection, channel, claims)
        except AppError as err:
            err.channel = channel
            raise

    def _update_channel(self, connection: Connection, requested: str, claims: Claims) -> None:
        channel, sub = self._find(connection, requested)
        check_channel_update(claims, channel)
        if sub is None:
            raise NotSubscribedError()
        cid = connection.connection_id

        def reload(gone: frozenset[str]) -> list[Subscription]:
            current = None if gone else self._subscriptions.get(channel, cid)
            if current is None:
                raise NotSubscribedError()
            return [current]

        updates = self._write([sub], reload, claims)
        self._membership.emit(self._member_updates(updates))
        count("UmdUpdated")

    def _update_connection(self, connection: Connection, claims: Claims) -> None:
        check_connection_update(claims)
        cid = connection.connection_id
        updates: list[SubscriptionUpdate] = []
        if claims.user_metadata_propagate is True:

            def reload(gone: frozenset[str]) -> list[Subscription]:
                # Consistent: a subscription committed a moment ago may not be in gsi1 yet.
                subs = self._subscriptions.current_for_connection(cid, connection.channels)
                return [sub for sub in subs if sub.channel not in gone]

            updates = self._write(reload(frozenset()), reload, claims)
        else:
            self._consume(claims)
        # Everything is stored before any frame goes out: a client reacting to memberUpdated
        # (e.g. subscribing elsewhere) must already see the connection's new umd.
        changed = self._set_connection_umd(cid, claims.user_metadata)
        self._membership.emit(self._member_updates(updates) + changed)
        count("UmdUpdated")

    def _find(self, connection: Connection, requested: str) -> tuple[str, Subscription | None]:
        """The real channel name and the connection's subscription to it (aliases resolved)."""
        channel, _ = permissions_for(connection).resolve_channel(requested)
        sub = self._subscriptions.get(channel, connection.connection_id)
        if sub is None and channel == requested:
            sub = self._subscriptions.find_by_alias(connection.connection_id, requested)
        return (sub.channel, sub) if sub is not None else (channel, None)

    def _set_connection_umd(self, cid: str, umd: JsonValue) -> list[PubSubEvent]:
        """Store the connection's new umd; `connectionUpdated` only if it really changed."""
        before = self._connections.set_umd(cid, umd)
        if before is None or same_json(before.umd, umd):
            return []
        return [connection_event("hotsock.connectionUpdated", replace(before, umd=umd))]

    def _write(
        self, subs: list[Subscription], reload: Loader, claims: Claims
    ) -> list[SubscriptionUpdate]:
        """Plan (capacity-checked), consume the token, write; re-read and retry on a lost race
        (with backoff); past the last attempt ConflictError, an INTERNAL_ERROR to the client."""
        gone: frozenset[str] = frozenset()
        for attempt in attempts(self._sleep):
            if attempt:
                subs = reload(gone)
            updates = self._plan(subs, claims.user_metadata)
            if not attempt:
                self._consume(claims)
            try:
                self._table.apply(updates, self._clock())
            except SubscriptionGoneError as err:
                gone = gone | {err.channel or ""}
                continue
            except ConflictError:
                continue
            return updates
        logger.warning("umd update gave up after retries", extra={"channels": len(subs)})
        count("ConflictGaveUp")
        raise ConflictError("subscriptions too busy to update; try again")

    def _plan(self, subs: Sequence[Subscription], umd: JsonValue) -> list[SubscriptionUpdate]:
        now = self._clock()
        updates: list[SubscriptionUpdate] = []
        for sub in subs:
            if not is_presence(sub.channel):
                updates.append(plan_update(sub, umd, None, now))
                continue
            states = self._members.members(sub.channel)
            update = plan_update(sub, umd, states, now)
            updates.append(check_capacity(update, states, self._members.limit))
        return updates

    def _consume(self, claims: Claims) -> None:
        """Record a single-use token's jti (a no-op for other tokens)."""
        try:
            self._verifier.consume(claims)
        except InvalidTokenError:
            raise InvalidUmdTokenError("umd token already used") from None

    def _member_updates(self, updates: Sequence[SubscriptionUpdate]) -> list[PubSubEvent]:
        """`hotsock.memberUpdated` to every subscriber of each presence channel whose member's
        displayed umd changed (Q-PRES-4); returns one pub/sub event per channel and uid."""
        events: list[PubSubEvent] = []
        for update in updates:
            event = update.member_event
            if event is None or update.member is None:
                continue
            member = update.member.member
            frame = frames.member_event(event, update.channel, member, update.members)
            self._membership.deliver(update.channel, frame)
            events.append(
                channel_events.member_event(event, update.channel, member, update.members)
            )
        return events
