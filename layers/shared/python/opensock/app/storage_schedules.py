"""Scheduled storage writes (PROTOCOL §14): checked now, applied at fire time.

The write is captured whole when accepted (writer `meta`, `store`, `emitPubSubEvent`, origin)
and travels in the schedule's payload `{"kind": "storageSet", "request": …, "origin": …}`;
ScheduledFunction hands it back to `run_scheduled_storage_set`, which applies it as a normal
write without re-checking permissions (§14.3, Q-SCHED-2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from opensock.domain.model import Member, Origin
from opensock.domain.schedule import parse_at
from opensock.domain.storage_model import StorageWrite
from opensock.edge.storage_requests import ScheduleRequest
from opensock.errors import SchedulePermissionDeniedError
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.wiring import Services

KIND = "storageSet"


def resolve_schedule(schedule: ScheduleRequest | None, now: float) -> datetime | None:
    """The UTC instant of an `at()` expression; InvalidScheduleExpressionError if bad/past."""
    if schedule is None:
        return None
    return parse_at(schedule.expression, schedule.timezone, now)


def check_schedule_before(at: datetime, limit: int | None, now: float, channel: str) -> None:
    """`scheduleBefore` must be a future instant no earlier than the fire time (§14.2)."""
    if limit is None or limit <= now or at.timestamp() > limit:
        raise SchedulePermissionDeniedError(channel=channel)


def write_to_json(write: StorageWrite) -> dict[str, Any]:
    return {
        "channel": write.channel,
        "key": write.key,
        "data": write.data,
        "store": write.store,
        "emitPubSubEvent": write.emit,
        "meta": write.writer.as_json(),
    }


def origin_to_json(origin: Origin) -> dict[str, Any]:
    return {
        "trigger": origin.trigger,
        "requestId": origin.request_id,
        "connectionId": origin.connection_id,
        "sourceIp": origin.source_ip,
        "userAgent": origin.user_agent,
    }


def schedule_write(
    write: StorageWrite, at: datetime, schedule: ScheduleRequest, services: Services
) -> str:
    payload = {
        "kind": KIND,
        "request": write_to_json(write),
        "origin": origin_to_json(write.origin),
    }
    arn = services.scheduler.schedule(at, schedule.timezone or "UTC", payload)
    count("ChannelStorageScheduled")
    return arn


def write_from_json(request: Mapping[str, Any], origin: Mapping[str, Any]) -> StorageWrite:
    meta = request.get("meta") or {}
    return StorageWrite(
        channel=request["channel"],
        key=request["key"],
        data=request.get("data"),
        writer=Member(meta.get("uid"), meta.get("umd")),
        store=int(request.get("store", -1)),
        emit=bool(request.get("emitPubSubEvent", False)),
        origin=Origin.from_metadata(origin),
    )


def run_scheduled_storage_set(payload: Mapping[str, Any], services: Services) -> None:
    """ScheduledFunction entry for kind `storageSet`."""
    write = write_from_json(payload["request"], payload.get("origin") or {})
    outcome = services.storage.apply(write)
    count("ChannelStorageWritten" if outcome.changed else "ChannelStorageUnchanged")
