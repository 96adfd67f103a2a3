"""Retrying a transaction that lost a race (`ConflictError`): backoff with full jitter.

A busy item (a hot channel's meta, a presence member) cancels concurrent transactions; writers
that retry at once collide again. Each retry waits a random time below a doubling cap, and the
whole wait is bounded (at most `MAX_WAIT_SECONDS`) so a route still answers well within its
function's timeout (5 s for the Client HTTP API). Past the last attempt the caller raises
`ConflictError`, which no client ever sees as such (docs/decisions.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

ATTEMPTS = 12
BASE_SECONDS = 0.01
CAP_SECONDS = 0.32
MAX_WAIT_SECONDS = sum(min(CAP_SECONDS, BASE_SECONDS * 2**n) for n in range(ATTEMPTS - 1))
"""2.23 s: the most the 11 pauses between 12 attempts can add up to."""

Sleep = Callable[[float], None]


def pause(retry: int, draw: Callable[[], float] = random.random) -> float:
    """The wait before retry number `retry` (1 = the first retry)."""
    cap: float = min(CAP_SECONDS, BASE_SECONDS * 2 ** (retry - 1))
    return draw() * cap


def attempts(sleep: Sleep, count: int = ATTEMPTS) -> Iterator[int]:
    """Attempt numbers 0 … count-1, sleeping before each one but the first."""
    for attempt in range(count):
        if attempt:
            sleep(pause(attempt))
        yield attempt
