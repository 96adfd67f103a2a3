"""Time: the one seam every TTL, expiry filter, token check and schedule reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""A clock returns Unix time in (fractional) seconds."""


def system_clock() -> float:
    return time.time()


def epoch_seconds(clock: Clock) -> int:
    return int(clock())


def rfc3339_seconds(epoch: float) -> str:
    """`2026-01-05T10:00:00Z`: RFC 3339 UTC, truncated to whole seconds."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nanos(epoch: float) -> str:
    """`2026-01-05T10:00:00.123456789Z`: RFC 3339 UTC with nanosecond digits."""
    whole = int(epoch)
    nanos = round((epoch - whole) * 1_000_000_000)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    stamp = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{nanos:09d}Z"
