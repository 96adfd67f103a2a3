"""Cleanup: every subscription of a closed or dead connection leaves as if unsubscribed.

Used by `$disconnect` (PROTOCOL §2.4) and by fan-out for connections the management API
answered 410 for. A 410 alone is not proof of death (§2.4, v1.3.2): a gone connection is pruned
only when its connection record is absent or expired; otherwise it is left for `$disconnect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opensock.channels import membership
from opensock.errors import ConflictError
from opensock.observability import count, logger
from opensock.pubsub.messages import PubSubEvent

if TYPE_CHECKING:
    from opensock.services import Services


def leave_all(connection_id: str, services: Services) -> list[PubSubEvent]:
    """Remove every subscription of the connection; returns the pub/sub events to emit."""
    events: list[PubSubEvent] = []
    for sub in services.subscriptions.list_for_connection(connection_id):
        try:
            change = membership.leave(sub, services)
        except ConflictError:
            logger.warning("presence leave gave up", extra={"channel": sub.channel})
            continue
        if change is not None:
            events.extend(membership.announce(change, services, joined=False))
    return events


def prune_gone(connection_ids: Sequence[str], services: Services) -> int:
    """Prune connections that answered 410 and whose record is gone; returns how many."""
    pruned = 0
    for connection_id in dict.fromkeys(connection_ids):
        if services.connections.get(connection_id) is not None:
            count("GoneUnconfirmed")
            continue
        membership.emit(leave_all(connection_id, services), services)
        pruned += 1
    if pruned:
        count("ConnectionsPruned", pruned)
    return pruned
