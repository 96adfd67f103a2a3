"""Cleanup: every subscription of a closed or dead connection leaves as if unsubscribed.

Used by `$disconnect` (PROTOCOL §2.4) and by fan-out for connections the management API
answered 410 for. A 410 alone is not proof of death (§2.4, v1.3.2): a gone connection is pruned
when its connection record is absent or expired, or when the management API confirms it with a
second `GoneException` on `GET @connections/{id}`; then its record is removed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from opensock.app import membership
from opensock.domain.envelopes import PubSubEvent, connection_event
from opensock.errors import ConflictError
from opensock.observability import count, logger

if TYPE_CHECKING:
    from opensock.wiring import Services


def leave_all(
    connection_id: str, services: Services, recorded: Iterable[str] = ()
) -> list[PubSubEvent]:
    """Remove every subscription of the connection; returns the pub/sub events to emit.

    `recorded` is the `channels` set of the connection's deleted item: a subscription committed
    just before the delete is in it even when gsi1 does not list it yet. Each subscription is
    read strongly consistent first; a name with no subscription (unsubscribed) is skipped.
    """
    events: list[PubSubEvent] = []
    for sub in services.subscriptions.current_for_connection(connection_id, recorded):
        try:
            change = membership.leave(sub, services)
        except ConflictError:
            logger.warning("presence leave gave up", extra={"channel": sub.channel})
            continue
        if change is not None:
            events.extend(membership.announce(change, services, joined=False))
    return events


def _confirmed_gone(connection_id: str, services: Services) -> bool:
    """No live record, or the management API says 410 again on `GET @connections/{id}`."""
    if services.connections.get(connection_id) is None:
        return True
    return not services.gateway.is_connected(connection_id)


def prune_gone(connection_ids: Sequence[str], services: Services) -> int:
    """Prune connections that answered 410 once the death is confirmed; returns how many."""
    pruned = 0
    for connection_id in dict.fromkeys(connection_ids):
        if not _confirmed_gone(connection_id, services):
            count("GoneUnconfirmed")
            continue
        # Record first, as on `$disconnect`: later subscribes fail, and its `channels` set says
        # what to clean up.
        closed = services.connections.delete(connection_id)
        events = leave_all(connection_id, services, closed.channels if closed else ())
        if closed is not None:  # died without $disconnect: emit it on API Gateway's behalf
            events.append(connection_event("hotsock.disconnected", closed, services.clock()))
        membership.emit(events, services)
        pruned += 1
    if pruned:
        count("ConnectionsPruned", pruned)
    return pruned
