"""Cleanup: every subscription of a closed or dead connection leaves as if unsubscribed.

Used by `$disconnect` (PROTOCOL §2.4) and by fan-out for connections the management API
answered 410 for. A 410 alone is not proof of death (§2.4, v1.3.2): a gone connection is pruned
when its connection record is absent or expired, or when the management API confirms it with a
second `GoneException` on `GET @connections/{id}`; then its record is removed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from opensock.app.membership import Membership
from opensock.clock import Clock
from opensock.domain.envelopes import PubSubEvent, connection_event
from opensock.errors import ConflictError
from opensock.observability import count, logger
from opensock.ports import ConnectionGateway, ConnectionRepository, SubscriptionRepository


class ConnectionCleanup:
    def __init__(
        self,
        connections: ConnectionRepository,
        subscriptions: SubscriptionRepository,
        gateway: ConnectionGateway,
        membership: Membership,
        clock: Clock,
    ) -> None:
        self._connections = connections
        self._subscriptions = subscriptions
        self._gateway = gateway
        self._membership = membership
        self._clock = clock

    def leave_all(self, connection_id: str, recorded: Iterable[str] = ()) -> list[PubSubEvent]:
        """Remove every subscription of the connection; returns the pub/sub events to emit.

        `recorded` is the `channels` set of the connection's deleted item: a subscription
        committed just before the delete is in it even when gsi1 does not list it yet. Each
        subscription is read strongly consistent first; a name with no subscription
        (unsubscribed) is skipped.
        """
        events: list[PubSubEvent] = []
        # Expired ones too: at the 2 h cap `$disconnect` (or the sweeper) comes after expiresAt,
        # and a presence member left behind by a skipped subscription would stay listed.
        subs = self._subscriptions.current_for_connection(
            connection_id, recorded, include_expired=True
        )
        for sub in subs:
            try:
                change = self._membership.leave(sub)
            except ConflictError:
                logger.warning("presence leave gave up", extra={"channel": sub.channel})
                continue
            if change is not None:
                events.extend(self._membership.announce(change, joined=False))
        return events

    def prune_gone(self, connection_ids: Sequence[str]) -> int:
        """Prune connections that answered 410 once the death is confirmed; returns how many."""
        pruned = 0
        for connection_id in dict.fromkeys(connection_ids):
            if not self._confirmed_gone(connection_id):
                count("GoneUnconfirmed")
                continue
            self.end(connection_id)
            pruned += 1
        if pruned:
            count("ConnectionsPruned", pruned)
        return pruned

    def end(self, connection_id: str) -> bool:
        """Clean up a connection known to be closed, as `$disconnect` would; False when its
        record was already gone (then only orphaned subscriptions are removed)."""
        # Record first, as on `$disconnect`: later subscribes fail, and its `channels` set
        # says what to clean up.
        closed = self._connections.delete(connection_id)
        events = self.leave_all(connection_id, closed.channels if closed else ())
        if closed is not None:  # died without $disconnect: emit it on API Gateway's behalf
            events.append(connection_event("hotsock.disconnected", closed, self._clock()))
        self._membership.emit(events)
        return closed is not None

    def _confirmed_gone(self, connection_id: str) -> bool:
        """No live record, or the management API says 410 again on `GET @connections/{id}`."""
        if self._connections.get(connection_id) is None:
            return True
        return not self._gateway.is_connected(connection_id)
