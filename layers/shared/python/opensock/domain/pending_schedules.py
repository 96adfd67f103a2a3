"""Pending schedules of a channel (extension, docs/extensions.md "Schedule control"), pure.

Every scheduled publish or storage write is also recorded on its channel, so it can be listed
and cancelled through the product. A record lives until its fire time: from then on it is no
longer pending (fired, or firing), whatever the scheduler still holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

KINDS = {"publish": "event", "storageSet": "key"}
"""Payload kind → the field naming what it writes (the schedules a client may see)."""


@dataclass(frozen=True)
class PendingSchedule:
    id: str
    """The schedule's name (a ULID): the last segment of its ARN."""
    channel: str
    kind: str
    target: str
    """The event name (`publish`) or the storage key (`storageSet`)."""
    at: int
    """Fire time, epoch seconds."""
    arn: str
    uid: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            KINDS[self.kind]: self.target,
            "at": datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "uid": self.uid,
            "scheduleArn": self.arn,
        }


def pending_from_payload(
    arn: str, at: datetime, payload: Mapping[str, Any]
) -> PendingSchedule | None:
    """The record of a schedule just created; None for internal kinds (exact expiry)."""
    kind = str(payload.get("kind"))
    if kind not in KINDS:
        return None
    request = payload.get("request") or {}
    meta = request.get("meta") or {}
    return PendingSchedule(
        id=arn.rsplit("/", 1)[-1],
        channel=str(request["channel"]),
        kind=kind,
        target=str(request[KINDS[kind]]),
        at=int(at.timestamp()),
        arn=arn,
        uid=meta.get("uid"),
    )
