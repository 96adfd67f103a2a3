"""Membership writes: a subscription joining or leaving a channel, and what it announces.

Standard channels: a join is one transaction (connection still live and recording the
channel, subscription, count),
a leave a conditional delete plus the count. Presence channels: one transaction
(subscription, member item, meta) retried on a concurrent member change, then
member frames to the other subscribers. `announce` returns the pub/sub events so a caller
leaving many channels (disconnect) can emit them in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opensock.domain import channel_events, frames, presence
from opensock.domain.envelopes import PubSubEvent
from opensock.domain.fanout_jobs import FanoutJob
from opensock.domain.model import Member, Subscription
from opensock.domain.names import is_presence
from opensock.errors import ConflictError

if TYPE_CHECKING:
    from opensock.wiring import Services

MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class MembershipChange:
    sub: Subscription
    count: int | None = None
    """The channel's new subscriptionsCount, when this subscription is counted."""
    member: presence.MemberChange | None = None
    members: list[Member] | None = None
    """Presence: the member list after the change."""


def _count_after(sub: Subscription, services: Services) -> int | None:
    if sub.omit_from_count or not services.pubsub.enabled:
        return None
    return services.channel_meta.subscriptions_count(sub.channel, consistent=True)


def join(sub: Subscription, services: Services, *, record: bool = True) -> MembershipChange:
    """Persist a new subscription (AlreadySubscribed / capacity errors propagate).

    The write is one transaction that also checks the connection is live: ConnectionGoneError
    means `$disconnect` ran first and nothing was written. With `record` it also adds the
    channel to the connection item's `channels` set, which `$disconnect` cleans up from.
    """
    if not is_presence(sub.channel):
        for _ in range(MAX_ATTEMPTS):
            try:
                services.subscriptions.join(sub, record=record)
            except ConflictError:
                continue
            return MembershipChange(sub, _count_after(sub, services))
        raise ConflictError("channel too busy")
    for _ in range(MAX_ATTEMPTS):
        states = services.presence.members(sub.channel)
        now = services.clock()
        change = presence.join_change(presence.find(states, sub.uid), sub, now)
        try:
            services.presence.join(sub, change, now, record=record)
        except ConflictError:
            continue
        members = presence.members_after(states, change)
        return MembershipChange(sub, _count_after(sub, services), change, members)
    raise ConflictError("presence channel too busy")


def leave(sub: Subscription, services: Services) -> MembershipChange | None:
    """Remove the subscription; None if it was already gone."""
    if not is_presence(sub.channel):
        if services.subscriptions.delete(sub.channel, sub.connection_id) is None:
            return None
        if sub.omit_from_count:
            return MembershipChange(sub)
        return MembershipChange(sub, services.channel_meta.add_subscriptions(sub.channel, -1))
    for _ in range(MAX_ATTEMPTS):
        states = services.presence.members(sub.channel)
        change = presence.leave_change(presence.find(states, sub.uid), sub.connection_id)
        try:
            if not services.presence.leave(sub, change):
                return None
        except ConflictError:
            continue
        members = presence.members_after(states, change)
        return MembershipChange(sub, _count_after(sub, services), change, members)
    raise ConflictError("presence channel too busy")


def announce(change: MembershipChange, services: Services, *, joined: bool) -> list[PubSubEvent]:
    """Member frames to the other subscribers; returns the pub/sub events to emit."""
    sub = change.sub
    kind = "hotsock.subscribed" if joined else "hotsock.unsubscribed"
    events = [channel_events.subscription_event(kind, sub)]
    if change.count is not None:
        events.append(channel_events.channel_updated(sub.channel, change.count))
    event = change.member.event if change.member else None
    if change.member is not None and event is not None and change.members is not None:
        member = change.member.member
        frame = frames.member_event(event, sub.channel, member, change.members)
        exclude = sub.connection_id if joined else None
        services.fanout.deliver(FanoutJob(sub.channel, frame, exclude_connection_id=exclude))
        events.append(channel_events.member_event(event, sub.channel, member, change.members))
    return events


def emit(events: list[PubSubEvent], services: Services) -> None:
    if events and services.pubsub.enabled:
        services.pubsub.emit(events)
