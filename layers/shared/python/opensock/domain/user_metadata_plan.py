"""What one umd update changes on each subscription it touches (pure), and who may
change it: the umd token's directives.

A `SubscriptionUpdate` is the subscription with its new umd and, on a presence channel, its
member item before and after (the member now shows this umd: it is the most recently set one,
Q-PRES-2) plus the member list after. Capacity is checked for every affected channel before
anything is written, so a refused update changes nothing (Q-PRES-1, Q-PRES-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from opensock.domain import presence
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.permissions import Permissions
from opensock.domain.model import Member, Subscription
from opensock.domain.presence import MemberChange, MemberState, dumps_sorted
from opensock.errors import (
    ConflictError,
    PresenceCapacityReachedError,
    UmdUpdatePermissionDeniedError,
)
from opensock.jsoncodec import JsonValue


class SubscriptionGoneError(ConflictError):
    """The subscription was removed (or expired) since it was read."""

    def __init__(self, channel: str) -> None:
        super().__init__("subscription is gone", channel=channel)


@dataclass(frozen=True)
class SubscriptionUpdate:
    sub: Subscription
    """The subscription as it is after the update."""
    member: MemberChange | None = None
    """Presence channels: the member item before and after."""
    members: tuple[Member, ...] = ()
    """Presence channels: the de-duplicated member list after the update."""

    @property
    def channel(self) -> str:
        return self.sub.channel

    @property
    def member_event(self) -> str | None:
        """The member event to send (None when the displayed umd is JSON-equal, Q-PRES-4)."""
        return self.member.event if self.member is not None else None


def plan_update(
    sub: Subscription,
    umd: JsonValue,
    states: Sequence[MemberState] | None,
    now: float,
) -> SubscriptionUpdate:
    """The update of one subscription; `states` are the channel's members (None: standard)."""
    updated = replace(sub, umd=umd)
    if states is None:
        return SubscriptionUpdate(updated)
    change = presence.join_change(presence.find(states, sub.uid), updated, now)
    return SubscriptionUpdate(updated, change, tuple(presence.members_after(states, change)))


def check_capacity(
    update: SubscriptionUpdate, states: Sequence[MemberState], limit: int
) -> SubscriptionUpdate:
    """The update, or PresenceCapacityReachedError when the list would grow past `limit`."""
    if update.member is None:
        return update
    delta = update.member.bytes_delta
    if delta > 0 and presence.total_bytes(states) + delta > limit:
        raise PresenceCapacityReachedError(channel=update.channel)
    return update


def check_channel_update(claims: Claims, channel: str) -> None:
    """`channels.<channel>.umdUpdate` must resolve true on the umd token's own entries."""
    entries = {key: grant.wire() for key, grant in claims.channels.items()}
    if not Permissions.from_entries(entries).channel_flag(channel, "umdUpdate"):
        raise UmdUpdatePermissionDeniedError("umd token does not allow umdUpdate on this channel")


def check_connection_update(claims: Claims) -> None:
    """A connection-level update needs the umd token's top-level `umdUpdate` claim."""
    if claims.user_metadata_update is not True:
        raise UmdUpdatePermissionDeniedError("umd token lacks the umdUpdate claim")


def same_json(a: JsonValue, b: JsonValue) -> bool:
    return dumps_sorted(a) == dumps_sorted(b)
