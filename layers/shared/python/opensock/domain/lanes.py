"""Delivery lanes (PROTOCOL §18, F35): the FIFO lane a subscription's messages travel in.

A lane is chosen once, at subscribe, and kept for the subscription's life, so a connection's
messages never change FIFO group (or path) when the channel's size changes between two
messages. Lane 0 is the inline lane, posted by the publishing function itself; every other lane
is an SQS FIFO group of its own, posted by FanoutFunction.

The choice needs only the channel's subscription count (an eventually consistent read) and a
uniform draw (a hash of the channel and connection id): below `LANE_SIZE` subscriptions it is
lane 0; above, a lane drawn uniformly from the window `[FLOOR * span, span)` with
`span = count / (LANE_SIZE * (1 - FLOOR))`. With `FLOOR = 1/e` a growing channel fills each
lane to ≈ `LANE_SIZE` before the window passes it (∫ of the draw density over the window's
passage is `LANE_SIZE * ln(1/FLOOR)`), and a channel of steady or shrinking size settles with
`LANE_SIZE` per window lane: leaves are uniform, joins refill the window's lanes, and lanes
below the window drain (subscriptions end with their connection, within 2 h).
docs/decisions.md has the trade-offs.

A slow connection falls out of its lane rather than hold it (`app/lane_delivery.py`): the lane's
`LaneState` lists it as diverted, and each later message forwards its copy to its own group.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

LANE_SIZE = 250
INLINE_LANE = 0
OWN_LANE = -1
"""A subscription moved out of the inline lane after a slow post (`Fanout.deliver`): each of
its messages goes to its connection's own FIFO group."""
FLOOR = math.exp(-1)


def choose_lane(count: int, draw: float, size: int = LANE_SIZE) -> int:
    """The lane of a new subscription to a channel of `count` subscriptions; `draw` ∈ [0, 1)."""
    if count < size:
        return INLINE_LANE
    span = count / (size * (1 - FLOOR))
    low = FLOOR * span
    return int(low + draw * (span - low))


def lane_draw(channel: str, connection_id: str) -> float:
    """A uniform draw in [0, 1) fixed by the subscription (connection ids are random)."""
    return zlib.crc32(f"{channel}\n{connection_id}".encode()) / 2**32


@dataclass(frozen=True)
class Recipient:
    """A subscription as the fan-out reads it: whom to post, and in which lane."""

    connection_id: str
    lane: int | None = None
    """None for subscriptions made before lanes were stored (`by_lane` falls back)."""


def by_lane(recipients: Iterable[Recipient], size: int = LANE_SIZE) -> dict[int, list[str]]:
    """Connection ids per lane. A subscription without a stored lane takes the rule lanes had
    before they were stored: crc32(id) modulo the lanes its channel needs now (not sticky;
    such subscriptions end with their connection, within 2 h of the upgrade)."""
    listed = list(recipients)
    count = max(1, math.ceil(len(listed) / size))
    lanes: dict[int, list[str]] = {}
    for recipient in listed:
        lane = recipient.lane
        if lane is None:
            lane = zlib.crc32(recipient.connection_id.encode()) % count
        lanes.setdefault(lane, []).append(recipient.connection_id)
    return lanes


MAX_DIVERTED = 50
"""Connections a lane diverts at most (its state item stays small); past it a slow connection
holds its lane's next message as before lanes diverted (counted `FanoutDivertFull`)."""


@dataclass(frozen=True)
class LaneState:
    """A queued lane's connections that fell out of it, read by each of its messages.

    `diverted`: posted through their own FIFO group (their copies are forwarded) until they
    may return; `busy`: those whose post is still in flight in an earlier message's
    invocation, with the time by which that post has ended whatever happens (epoch seconds);
    `forwarded` / `done`: per diverted connection, the copies forwarded to its own group and
    those its own group has finished (posted, failed or gone)."""

    diverted: frozenset[str] = frozenset()
    busy: Mapping[str, float] = field(default_factory=dict)
    forwarded: Mapping[str, int] = field(default_factory=dict)
    done: Mapping[str, int] = field(default_factory=dict)

    def is_busy(self, connection_id: str, now: float) -> bool:
        return self.busy.get(connection_id, 0.0) > now

    def may_return(self, connection_id: str, now: float) -> bool:
        """A diverted connection may be posted in its lane again: no post to it is in flight
        and its own group has finished every copy forwarded to it, so nothing earlier can
        arrive after the lane's post (a slow connection that became fast again, or a post
        that was only once slow, costs its own group nothing more)."""
        return (
            connection_id in self.diverted
            and not self.is_busy(connection_id, now)
            and self.forwarded.get(connection_id, 0) == self.done.get(connection_id, 0)
        )

    def room(self) -> int:
        return max(0, MAX_DIVERTED - len(self.diverted))
