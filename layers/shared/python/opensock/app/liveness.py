"""Connection liveness: keep-alive frames, enforced heartbeats, and the ghost sweep (PROTOCOL
§17, §2.4; F76, F78).

Heartbeats never reach a function: the `hotsock.heartbeat` route is a MOCK integration, and API
Gateway's `GET @connections/{id}` reports the connection's `lastActiveAt`. A heartbeat timer
checks a connection when its deadline (Q-HB-1: connection time, then the latest client frame,
+ N) plus the grace has come: past it, the connection is closed and cleaned up as on
`$disconnect`; otherwise the timer is sent on to the new deadline. Keep-alive timers post
`hotsock.keepAlive` every interval until the 2 h cap. The sweep (every `sweep_interval`, one of
`sweep_slots` slots of connections at a time) finds records whose `$disconnect` never came: past
their `expiresAt`, or answered 410 by `GET @connections`. docs/performance.md has the costs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from opensock.app.cleanup import ConnectionCleanup
from opensock.app.membership import Membership
from opensock.clock import Clock
from opensock.domain import frames
from opensock.domain.model import Connection
from opensock.domain.timers import (
    Timer,
    heartbeat_deadline,
    heartbeat_timer,
    keep_alive_timer,
    sweep_batch_timer,
    sweep_slot,
)
from opensock.errors import ConnectionGoneError
from opensock.jsoncodec import loads
from opensock.observability import count, logger
from opensock.ports import ConnectionGateway, ConnectionRepository, Timers

T = TypeVar("T")
R = TypeVar("R")
MAX_WORKERS = 32
EARLY_TOLERANCE_SECONDS = 0.5
SWEEP_BATCH = 1000
"""Connections one invocation checks: a larger slot is shared out through LivenessQueue, so a
sweep's `GET`s run in parallel invocations (each ~1 ms of CPU for signing, plus the wait)."""
YOUNG_SECONDS = 30
"""The sweep leaves connections this young alone (a `GET` during `$connect` answers 410);
at most two sweep intervals, so a time-compressed local stack is not slowed down."""


@dataclass(frozen=True)
class LivenessSettings:
    keep_alive_interval: int = 570
    heartbeat_grace: int = 2
    sweep_interval: int = 60
    sweep_slots: int = 4
    connection_lifetime: int = 7200


@dataclass
class SweepReport:
    slot: int
    checked: int = 0
    expired: int = 0
    gone: int = 0


class Liveness:
    def __init__(
        self,
        connections: ConnectionRepository,
        gateway: ConnectionGateway,
        timers: Timers | None,
        cleanup: ConnectionCleanup,
        membership: Membership,
        clock: Clock,
        settings: LivenessSettings = LivenessSettings(),
    ) -> None:
        self._connections = connections
        self._gateway = gateway
        self._timers = timers
        self._cleanup = cleanup
        self._membership = membership
        self._clock = clock
        self._settings = settings
        self._pool: ThreadPoolExecutor | None = None

    # --- arming ------------------------------------------------------------------------------
    def arm(self, connection: Connection) -> list[Timer]:
        """Start the connection's timers once `hotsock.connected` was posted (§2.2 step 8)."""
        now = self._clock()
        cid = connection.connection_id
        timers: list[Timer] = []
        timeout = connection.heartbeat_timeout
        if timeout:
            due = connection.connected_at + timeout + self._settings.heartbeat_grace
            timers.append(heartbeat_timer(cid, connection.connected_at, timeout, due))
        keep_alive_due = now + self._settings.keep_alive_interval
        if connection.keep_alive and keep_alive_due < connection.expires_at:
            timers.append(keep_alive_timer(cid, connection.expires_at, keep_alive_due))
        if timers and self._timers is not None:
            self._timers.start(timers, now)
        return timers

    # --- timers firing -----------------------------------------------------------------------
    def fire(self, event: Mapping[str, Any]) -> dict[str, int]:
        """LivenessFunction's SQS batch: run each due timer; send on the early and the next."""
        timers = [Timer.from_json(loads(record["body"])) for record in event.get("Records", [])]
        now = self._clock()
        early = [t for t in timers if t.due > now + EARLY_TOLERANCE_SECONDS]
        due = [t for t in timers if t.due <= now + EARLY_TOLERANCE_SECONDS]
        heartbeats = [t for t in due if t.kind == "heartbeat"]
        keep_alives = [t for t in due if t.kind == "keepAlive"]
        following = [
            *self._check_heartbeats(heartbeats, now),
            *self._send_keep_alives(keep_alives, now),
        ]
        for timer in (t for t in due if t.kind == "memberLeave"):
            data = timer.data
            self._membership.expire_member(data["channel"], data["uid"], int(data["version"]))
        for timer in (t for t in due if t.kind == "sweepBatch"):
            self._end_gone([str(cid) for cid in timer.data["connectionIds"]])
        if (early or following) and self._timers is not None:
            self._timers.start([*early, *following], now)
        return {"fired": len(due), "rearmed": len(following) + len(early)}

    def _check_heartbeats(self, timers: Sequence[Timer], now: float) -> list[Timer]:
        ids = [str(t.data["connectionId"]) for t in timers]
        following = []
        grace = self._settings.heartbeat_grace
        for timer, last_active in zip(
            timers, self._map(self._gateway.last_active, ids), strict=True
        ):
            cid = str(timer.data["connectionId"])
            if last_active is None:
                self._cleanup.end(cid)
                count("HeartbeatConnectionGone")
                continue
            connected_at = float(timer.data["connectedAt"])
            deadline = heartbeat_deadline(connected_at, last_active, int(timer.data["timeout"]))
            if now >= deadline + grace:
                logger.info("heartbeat deadline missed", extra={"late_seconds": now - deadline})
                self._gateway.close(cid)
                self._cleanup.end(cid)
                count("HeartbeatTimeout")
                continue
            following.append(replace(timer, due=deadline + grace))
        return following

    def _send_keep_alives(self, timers: Sequence[Timer], now: float) -> list[Timer]:
        live = [t for t in timers if now < int(t.data["expiresAt"])]
        ids = [str(t.data["connectionId"]) for t in live]
        following = []
        for timer, posted in zip(live, self._map(self._post_keep_alive, ids), strict=True):
            cid = str(timer.data["connectionId"])
            if not posted:
                self._cleanup.prune_gone([cid])
                continue
            expires_at = int(timer.data["expiresAt"])
            due = now + self._settings.keep_alive_interval
            if due < expires_at:
                following.append(keep_alive_timer(cid, expires_at, due))
        if live:
            count("KeepAliveSent", len(live))
        return following

    def _post_keep_alive(self, connection_id: str) -> bool:
        try:
            self._gateway.post(connection_id, frames.keep_alive())
        except ConnectionGoneError:
            return False
        return True

    # --- the sweep ---------------------------------------------------------------------------
    def sweep(self) -> SweepReport:
        """Clean up this slot's connections that ended without `$disconnect`."""
        now = self._clock()
        settings = self._settings
        report = SweepReport(sweep_slot(now, settings.sweep_interval, settings.sweep_slots))
        entries = self._connections.in_sweep_slot(report.slot)
        expired = [cid for cid, expires_at in entries if expires_at <= now]
        young_seconds = min(YOUNG_SECONDS, 2 * settings.sweep_interval)
        young = now - young_seconds + settings.connection_lifetime
        live = [cid for cid, expires_at in entries if now < expires_at <= young]
        report.checked = len(live)
        for cid in expired:
            self._cleanup.end(cid)
        report.expired = len(expired)
        shares = [live[i : i + SWEEP_BATCH] for i in range(0, len(live), SWEEP_BATCH)]
        if len(shares) > 1 and self._timers is not None:
            self._timers.start([sweep_batch_timer(share, now) for share in shares[1:]], now)
            shares = shares[:1]
        report.gone = sum(self._end_gone(share) for share in shares)
        if expired:
            count("GhostsSwept", len(expired))
        return report

    def _end_gone(self, ids: Sequence[str]) -> int:
        """`GET @connections` each; clean up those answering 410."""
        alive = self._map(self._gateway.is_connected, ids)
        gone = [cid for cid, up in zip(ids, alive, strict=True) if not up]
        for cid in gone:
            self._cleanup.end(cid)
        if gone:
            count("GhostsSwept", len(gone))
        return len(gone)

    def _map(self, function: Callable[[str], R], ids: Sequence[str]) -> list[R]:
        if len(ids) <= 1:
            return [function(cid) for cid in ids]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="liveness")
        return list(self._pool.map(function, ids))
