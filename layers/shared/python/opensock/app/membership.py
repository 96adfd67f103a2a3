"""Membership writes: a subscription joining or leaving a channel, and what it announces.

Standard channels: a join is three ordered writes (subscription, count, then the
connection still live and recording the channel; `adapters/dynamodb/subscription_join.py`),
a leave a delete plus the count. Presence channels: one transaction
(subscription, member item, meta) retried on a concurrent member change, then
member frames to the other subscribers. `announce` returns the pub/sub events so a caller
leaving many channels (disconnect) can emit them in batches. A transaction that loses a race
is retried with jittered backoff (`app/retry.py`).

With a presence leave grace (`leave_grace_seconds`, docs/extensions.md) a uid's last leave
keeps the member listed and starts a timer; `expire_member` removes it when the timer fires
unless the uid rejoined meanwhile (then nobody saw it go).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from opensock.app.fanout import Fanout
from opensock.app.retry import Sleep, attempts
from opensock.clock import Clock
from opensock.domain import channel_events, frames, presence
from opensock.domain.envelopes import PubSubEvent
from opensock.domain.fanout_jobs import FanoutJob
from opensock.domain.frames import Frame
from opensock.domain.model import Member, Subscription
from opensock.domain.names import is_presence
from opensock.domain.timers import member_leave_timer
from opensock.errors import ConflictError
from opensock.observability import count, logger
from opensock.ports import (
    ChannelMetaRepository,
    EventPublisher,
    MemberRepository,
    SubscriptionRepository,
    Timers,
)


def _gave_up(channel: str) -> ConflictError:
    """Every retry lost its race: logged and counted, then raised (never sent as such)."""
    logger.warning("membership write gave up after retries", extra={"channel": channel})
    count("ConflictGaveUp")
    return ConflictError("channel too busy; try again")


@dataclass(frozen=True)
class MembershipChange:
    sub: Subscription
    count: int | None = None
    """The channel's new subscriptionsCount, when this subscription is counted."""
    member: presence.MemberChange | None = None
    members: list[Member] | None = None
    """Presence: the member list after the change."""


class Membership:
    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        members: MemberRepository,
        channel_meta: ChannelMetaRepository,
        fanout: Fanout,
        publisher: EventPublisher,
        clock: Clock,
        timers: Timers | None = None,
        *,
        leave_grace_seconds: int = 0,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._subscriptions = subscriptions
        self._members = members
        self._channel_meta = channel_meta
        self._fanout = fanout
        self._publisher = publisher
        self._clock = clock
        self._timers = timers
        self._grace = leave_grace_seconds if timers is not None else 0
        self._sleep = sleep

    def join(
        self,
        sub: Subscription,
        *,
        record: bool = True,
        lane_for: Callable[[int], int] | None = None,
    ) -> MembershipChange:
        """Persist a new subscription (AlreadySubscribed / capacity errors propagate).

        The write also checks the connection is live: ConnectionGoneError means
        `$disconnect` ran first and nothing is left written. With `record` it also adds the
        channel to the connection item's `channels` set, which `$disconnect` cleans up from.
        Standard channels: ordered writes (`SubscriptionRepository.join`; with `lane_for`,
        the count picks the lane); presence: one transaction, retried when a concurrent member
        change cancels it (its lane is chosen before).
        """
        if not is_presence(sub.channel):
            total = self._subscriptions.join(sub, record=record, lane_for=lane_for)
            return MembershipChange(sub, total if self._publisher.enabled else None)
        for _ in attempts(self._sleep):
            states = self._members.members(sub.channel)
            now = self._clock()
            change = presence.join_change(presence.find(states, sub.uid), sub, now)
            try:
                self._members.join(sub, change, now, record=record)
            except ConflictError:
                continue
            members = presence.members_after(states, change)
            return MembershipChange(sub, self._count_after(sub), change, members)
        raise _gave_up(sub.channel)

    def leave(self, sub: Subscription) -> MembershipChange | None:
        """Remove the subscription; None if it was already gone."""
        if not is_presence(sub.channel):
            if self._subscriptions.delete(sub.channel, sub.connection_id) is None:
                return None
            if sub.omit_from_count:
                return MembershipChange(sub)
            return MembershipChange(sub, self._channel_meta.add_subscriptions(sub.channel, -1))
        for _ in attempts(self._sleep):
            states = self._members.members(sub.channel)
            now = self._clock()
            before = presence.find(states, sub.uid)
            change = presence.leave_change(before, sub.connection_id, now, linger=self._grace > 0)
            try:
                if not self._members.leave(sub, change):
                    return None
            except ConflictError:
                continue
            self._start_grace(sub.channel, change, now)
            members = presence.members_after(states, change)
            return MembershipChange(sub, self._count_after(sub), change, members)
        raise _gave_up(sub.channel)

    def _start_grace(self, channel: str, change: presence.MemberChange, now: float) -> None:
        after = change.after
        if self._timers is None or after is None or not after.lingering or change.before is None:
            return
        if change.before.lingering:
            return
        timer = member_leave_timer(channel, after.uid, after.version, now + self._grace)
        self._timers.start([timer], now)
        count("MemberLeaveDeferred")

    def expire_member(self, channel: str, uid: str, version: int) -> bool:
        """The leave grace of `uid` is over: remove it unless it rejoined (or left again)."""
        for _ in attempts(self._sleep):
            states = self._members.members(channel)
            change = presence.expire_change(presence.find(states, uid), version)
            if change is None:
                count("MemberLeaveCancelled")
                return False
            if not self._members.expire(channel, change):
                continue
            members = presence.members_after(states, change)
            assert change.before is not None
            frame = frames.member_event(
                "hotsock.memberRemoved", channel, change.before.member, members
            )
            self._fanout.deliver(FanoutJob(channel, frame))
            event = channel_events.member_event(
                "hotsock.memberRemoved", channel, change.before.member, members
            )
            self.emit([event])
            count("MemberLeaveExpired")
            return True
        raise ConflictError("presence channel too busy")

    def announce(self, change: MembershipChange, *, joined: bool) -> list[PubSubEvent]:
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
            self._fanout.deliver(FanoutJob(sub.channel, frame, exclude_connection_id=exclude))
            events.append(channel_events.member_event(event, sub.channel, member, change.members))
        return events

    def deliver(self, channel: str, frame: Frame) -> None:
        """A frame to every subscriber of the channel (member updates)."""
        self._fanout.deliver(FanoutJob(channel, frame))

    def emit(self, events: list[PubSubEvent]) -> None:
        if events and self._publisher.enabled:
            self._publisher.emit(events)

    def _count_after(self, sub: Subscription) -> int | None:
        if sub.omit_from_count or not self._publisher.enabled:
            return None
        return self._channel_meta.subscriptions_count(sub.channel, consistent=True)
