"""Applying a umd update (PROTOCOL §12): per channel, or for the connection (and propagated).

Per channel: the subscription's umd changes; on a presence channel every member, the updater
included, gets `hotsock.memberUpdated`. Connection level: the connection's default umd changes
(later implicit subscriptions read it); with `umdPropagate` every existing subscription is
rewritten too, all capacity checks first, then one transaction. `hotsock.connectionUpdated` is
emitted only when the stored value really changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from opensock.app import membership
from opensock.app import user_metadata_access as authorization
from opensock.app.subscriptions import permissions_for
from opensock.app.user_metadata_announce import member_updates, same_json
from opensock.domain.auth.claims import Claims
from opensock.domain.envelopes import PubSubEvent, connection_event
from opensock.domain.model import Connection, Subscription
from opensock.domain.names import is_presence
from opensock.domain.user_metadata import (
    SubscriptionGoneError,
    SubscriptionUpdate,
    check_capacity,
    plan_update,
)
from opensock.edge.user_metadata_requests import UmdUpdateRequest
from opensock.errors import AppError, ConflictError, NotSubscribedError
from opensock.jsoncodec import JsonValue
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.wiring import Services

MAX_ATTEMPTS = 12
Loader = Callable[[frozenset[str]], list[Subscription]]
"""Re-reads the subscriptions to update, leaving out the channels found gone meanwhile."""


def update_umd(connection: Connection, request: UmdUpdateRequest, services: Services) -> None:
    """Verify the umd token and apply the update it carries; refusals change nothing."""
    claims = authorization.verify_umd_token(request.token, connection, services)
    if request.channel is None:
        update_connection(connection, claims, services)
        return
    try:
        update_channel(connection, request.channel, claims, services)
    except AppError as err:
        err.channel = request.channel
        raise


def _find(
    connection: Connection, requested: str, services: Services
) -> tuple[str, Subscription | None]:
    """The real channel name and the connection's subscription to it (aliases resolved)."""
    channel, _ = permissions_for(connection).resolve_channel(requested)
    sub = services.subscriptions.get(channel, connection.connection_id)
    if sub is None and channel == requested:
        sub = services.subscriptions.find_by_alias(connection.connection_id, requested)
    return (sub.channel, sub) if sub is not None else (channel, None)


def update_channel(
    connection: Connection, requested: str, claims: Claims, services: Services
) -> None:
    channel, sub = _find(connection, requested, services)
    authorization.check_channel_update(claims, channel)
    if sub is None:
        raise NotSubscribedError()
    cid = connection.connection_id

    def reload(gone: frozenset[str]) -> list[Subscription]:
        current = None if gone else services.subscriptions.get(channel, cid)
        if current is None:
            raise NotSubscribedError()
        return [current]

    updates = _write([sub], reload, claims, services)
    membership.emit(member_updates(updates, services), services)
    count("UmdUpdated")


def update_connection(connection: Connection, claims: Claims, services: Services) -> None:
    authorization.check_connection_update(claims)
    cid = connection.connection_id
    updates: list[SubscriptionUpdate] = []
    if claims.user_metadata_propagate is True:

        def reload(gone: frozenset[str]) -> list[Subscription]:
            # Consistent: a subscription committed a moment ago may not be in gsi1 yet.
            subs = services.subscriptions.current_for_connection(cid, connection.channels)
            return [sub for sub in subs if sub.channel not in gone]

        updates = _write(reload(frozenset()), reload, claims, services)
    else:
        authorization.consume(claims, services)
    # Everything is stored before any frame goes out: a client reacting to memberUpdated
    # (e.g. subscribing elsewhere) must already see the connection's new umd.
    changed = _set_connection_umd(cid, claims.user_metadata, services)
    membership.emit(member_updates(updates, services) + changed, services)
    count("UmdUpdated")


def _set_connection_umd(cid: str, umd: JsonValue, services: Services) -> list[PubSubEvent]:
    """Store the connection's new umd; `connectionUpdated` only if the value really changed."""
    before = services.connections.set_umd(cid, umd)
    if before is None or same_json(before.umd, umd):
        return []
    return [connection_event("hotsock.connectionUpdated", replace(before, umd=umd))]


def _write(
    subs: list[Subscription], reload: Loader, claims: Claims, services: Services
) -> list[SubscriptionUpdate]:
    """Plan (capacity-checked), consume the token, write; re-read and retry on a lost race."""
    gone: frozenset[str] = frozenset()
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            subs = reload(gone)
        updates = _plan(subs, claims.user_metadata, services)
        if not attempt:
            authorization.consume(claims, services)
        try:
            services.umd_table.apply(updates, services.clock())
        except SubscriptionGoneError as err:
            gone = gone | {err.channel or ""}
            continue
        except ConflictError:
            continue
        return updates
    raise ConflictError("subscriptions too busy to update")


def _plan(
    subs: Sequence[Subscription], umd: JsonValue, services: Services
) -> list[SubscriptionUpdate]:
    now = services.clock()
    updates: list[SubscriptionUpdate] = []
    for sub in subs:
        if not is_presence(sub.channel):
            updates.append(plan_update(sub, umd, None, now))
            continue
        states = services.presence.members(sub.channel)
        update = plan_update(sub, umd, states, now)
        updates.append(check_capacity(update, states, services.presence.limit))
    return updates
