"""Liveness timers: what is due when, for one connection or one presence member (pure).

A timer travels through the `Timers` port (an SQS delay queue) and comes back to
LivenessFunction at `due`: a heartbeat deadline check, the next keep-alive frame, or the end
of a member's leave grace. It carries what the check needs, so firing reads no table item.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

TimerKind = Literal["heartbeat", "keepAlive", "memberLeave", "sweepBatch"]
MAX_DELAY_SECONDS = 900
"""SQS DelaySeconds' ceiling: a longer wait is done in hops (the timer re-arms itself)."""


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    due: float
    """Epoch seconds when it should fire."""
    data: dict[str, Any] = field(default_factory=dict)

    def delay(self, now: float) -> int:
        """Whole seconds to wait (rounded up, so it never fires early), capped per hop."""
        return max(0, min(MAX_DELAY_SECONDS, math.ceil(self.due - now)))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "due": self.due, **self.data}

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Timer:
        data = {k: v for k, v in values.items() if k not in ("kind", "due")}
        return cls(kind=values["kind"], due=float(values["due"]), data=data)


def heartbeat_timer(connection_id: str, connected_at: float, timeout: int, due: float) -> Timer:
    data = {"connectionId": connection_id, "connectedAt": connected_at, "timeout": timeout}
    return Timer("heartbeat", due, data)


def keep_alive_timer(connection_id: str, expires_at: int, due: float) -> Timer:
    return Timer("keepAlive", due, {"connectionId": connection_id, "expiresAt": expires_at})


def member_leave_timer(channel: str, uid: str, version: int, due: float) -> Timer:
    return Timer("memberLeave", due, {"channel": channel, "uid": uid, "version": version})


def sweep_batch_timer(connection_ids: list[str], due: float) -> Timer:
    """A share of a large sweep slot, checked by another LivenessFunction invocation."""
    return Timer("sweepBatch", due, {"connectionIds": connection_ids})


def heartbeat_deadline(connected_at: float, last_active: float | None, timeout: int) -> float:
    """Q-HB-1: (connection time, then the latest client frame) + N."""
    return max(connected_at, last_active or 0.0) + timeout


def sweep_slot(now: float, interval_seconds: int, slots: int) -> int:
    """Which slot of connections this sweep checks: each slot comes round every `slots` sweeps."""
    return int(now // interval_seconds) % slots
