"""Schedule control (extension, docs/extensions.md): list and cancel the pending scheduled
messages and storage writes of a channel.

`Schedules` is the `Scheduler` the publishing and storage use cases are given: it creates the
schedule, then records it on its channel. The server sees and cancels every pending schedule;
a client only those whose event or key its `scheduleBefore` permissions cover. Cancelling
deletes the schedule, so it never fires; a schedule that fired (or is firing) is refused with
`SCHEDULE_NOT_PENDING`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from opensock.clock import Clock
from opensock.domain.model import Connection
from opensock.domain.pending_schedules import PendingSchedule, pending_from_payload
from opensock.domain.storage_access import client_access
from opensock.errors import ScheduleNotPendingError
from opensock.observability import count
from opensock.ports import ScheduleIndex, Scheduler, SubscriptionRepository

Visible = Callable[[PendingSchedule], bool]


def _everything(_: PendingSchedule) -> bool:
    return True


class Schedules:
    def __init__(
        self,
        scheduler: Scheduler,
        index: ScheduleIndex,
        subscriptions: SubscriptionRepository,
        clock: Clock,
    ) -> None:
        self._scheduler = scheduler
        self._index = index
        self._subscriptions = subscriptions
        self._clock = clock

    def schedule(self, at: datetime, timezone: str, payload: dict[str, Any]) -> str:
        """The `Scheduler` port: create the schedule, then record it on its channel."""
        arn = self._scheduler.schedule(at, timezone, payload)
        pending = pending_from_payload(arn, at, payload)
        if pending is not None:
            self._index.put(pending)
        return arn

    def cancel_schedule(self, arn: str) -> bool:
        return self._scheduler.cancel_schedule(arn)

    # --- the server ---------------------------------------------------------------------------
    def server_list(self, channel: str) -> dict[str, Any]:
        return self._list(channel, _everything)

    def server_cancel(self, channel: str, schedule_id: str) -> dict[str, Any]:
        return self._cancel(channel, schedule_id, _everything)

    # --- clients ------------------------------------------------------------------------------
    def client_list(self, connection: Connection, channel: str) -> dict[str, Any]:
        real, visible = self._visible_to(connection, channel)
        return {**self._list(real, visible), "channel": channel}

    def client_cancel(
        self, connection: Connection, channel: str, schedule_id: str
    ) -> dict[str, Any]:
        real, visible = self._visible_to(connection, channel)
        return {**self._cancel(real, schedule_id, visible), "channel": channel}

    # --- shared -------------------------------------------------------------------------------
    def _visible_to(self, connection: Connection, channel: str) -> tuple[str, Visible]:
        """The real channel, and which of its schedules the client's `scheduleBefore` covers."""
        access = client_access(connection, channel, self._subscriptions)
        permissions, real = access.permissions, access.channel

        def visible(pending: PendingSchedule) -> bool:
            if pending.kind == "storageSet":
                return permissions.storage_schedule_before(real, pending.target) is not None
            return permissions.message_schedule_before(real, pending.target) is not None

        return real, visible

    def _list(self, channel: str, visible: Visible) -> dict[str, Any]:
        items = [p.to_json() for p in self._index.pending(channel, self._clock()) if visible(p)]
        count("SchedulesListed")
        return {"channel": channel, "items": items}

    def _cancel(self, channel: str, schedule_id: str, visible: Visible) -> dict[str, Any]:
        pending = self._index.get(channel, schedule_id, self._clock())
        if pending is None or not visible(pending):
            raise ScheduleNotPendingError(channel=channel)
        cancelled = self._scheduler.cancel_schedule(pending.arn)
        self._index.delete(channel, schedule_id)
        if not cancelled:
            raise ScheduleNotPendingError(channel=channel)
        count("ScheduleCancelled")
        return {"channel": channel, "id": schedule_id, "cancelled": True}
