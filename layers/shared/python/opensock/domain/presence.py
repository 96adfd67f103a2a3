"""Presence: who is on a `presence.` channel, de-duplicated by `uid` (PROTOCOL §10).

A member is one item per `uid` holding every subscription (connection) of that uid with the
`umd` it brought and when it was set. The member shows the most recently set `umd` (Q-PRES-2);
the list is in order of first join (Q-PRES-5). Pure: the store applies a `MemberChange`
atomically with the subscription write and the channel's byte total (the 100 KB cap, Q-PRES-1).

With a leave grace (docs/extensions.md), a member whose last subscription leaves *lingers*: it
keeps the `umd` it showed (`held`), stays listed, and nobody is told; a rejoin of the same uid
within the grace continues it silently (or with `memberUpdated` for a changed umd), and
`expire_change` removes it once the grace is over (`hotsock.memberRemoved` then).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from opensock.domain.model import Member, Subscription
from opensock.jsoncodec import JsonValue, size_bytes

CAPACITY_BYTES = 102_400


@dataclass(frozen=True)
class MemberState:
    """One member item: `conns` maps connection id -> (umd, time that umd was set)."""

    uid: str
    joined_at: float
    version: int = 0
    conns: dict[str, tuple[JsonValue, float]] = field(default_factory=dict)
    held: tuple[JsonValue, float] | None = None
    """A lingering member's displayed (umd, set at) after its last subscription left."""
    left_at: float | None = None

    @property
    def lingering(self) -> bool:
        return not self.conns and self.held is not None

    @property
    def umd(self) -> JsonValue:
        if not self.conns:
            return self.held[0] if self.held is not None else None
        return max(self.conns.values(), key=lambda entry: entry[1])[0]

    @property
    def member(self) -> Member:
        return Member(self.uid, self.umd)

    @property
    def bytes(self) -> int:
        return member_bytes(self.uid, self.umd)


def member_bytes(uid: str | None, umd: JsonValue) -> int:
    return size_bytes({"uid": uid, "umd": umd})


def _same(a: JsonValue, b: JsonValue) -> bool:
    return dumps_sorted(a) == dumps_sorted(b)


def dumps_sorted(value: JsonValue) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class MemberChange:
    """A member item before and after one join or leave (None = absent)."""

    before: MemberState | None
    after: MemberState | None

    @property
    def bytes_delta(self) -> int:
        return (self.after.bytes if self.after else 0) - (self.before.bytes if self.before else 0)

    @property
    def event(self) -> str | None:
        """The member frame this change causes, if any (Q-PRES-4: none if umd is unchanged)."""
        if self.before is None and self.after is not None:
            return "hotsock.memberAdded"
        if self.after is None and self.before is not None:
            return "hotsock.memberRemoved"
        if self.before and self.after and not _same(self.before.umd, self.after.umd):
            return "hotsock.memberUpdated"
        return None

    @property
    def member(self) -> Member:
        state = self.after or self.before
        assert state is not None
        return state.member


def join_change(before: MemberState | None, sub: Subscription, now: float) -> MemberChange:
    """A subscription joins; a lingering member is continued (same place in the list)."""
    assert sub.uid
    base = before or MemberState(uid=sub.uid, joined_at=now, version=0)
    latest = max((at for _, at in base.conns.values()), default=0.0)
    conns = {**base.conns, sub.connection_id: (sub.umd, max(now, latest + 1e-6))}
    after = replace(base, conns=conns, version=base.version + 1, held=None, left_at=None)
    return MemberChange(before, after)


def leave_change(
    before: MemberState | None, connection_id: str, now: float = 0.0, *, linger: bool = False
) -> MemberChange:
    """A subscription leaves; its uid's last one removes the member, or with `linger` keeps it
    listed with the umd it showed (no member event until `expire_change`)."""
    if before is None or connection_id not in before.conns:
        return MemberChange(before, before)
    conns = {cid: entry for cid, entry in before.conns.items() if cid != connection_id}
    version = before.version + 1
    if conns:
        return MemberChange(before, replace(before, conns=conns, version=version))
    if not linger:
        return MemberChange(before, None)
    shown = max(before.conns.values(), key=lambda entry: entry[1])
    return MemberChange(before, replace(before, conns={}, version=version, held=shown, left_at=now))


def expire_change(before: MemberState | None, version: int) -> MemberChange | None:
    """The end of a leave grace: remove the member if it still lingers since `version`."""
    if before is None or not before.lingering or before.version != version:
        return None
    return MemberChange(before, None)


def find(states: Sequence[MemberState], uid: str | None) -> MemberState | None:
    return next((state for state in states if state.uid == uid), None)


def members_after(states: Sequence[MemberState], change: MemberChange) -> list[Member]:
    """The de-duplicated member list after the change, in order of first join."""
    uid = (change.after or change.before or MemberState("", 0)).uid
    others = [state for state in states if state.uid != uid]
    if change.after is not None:
        others.append(change.after)
    return [state.member for state in sorted(others, key=lambda s: (s.joined_at, s.uid))]


def total_bytes(states: Sequence[MemberState]) -> int:
    return sum(state.bytes for state in states)
