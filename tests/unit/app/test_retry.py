"""Backoff of transactions that lost a race (app/retry.py)."""

from __future__ import annotations

from opensock.app.retry import ATTEMPTS, CAP_SECONDS, MAX_WAIT_SECONDS, attempts, pause


def test_the_pause_bound_doubles_up_to_the_cap() -> None:
    bounds = [pause(retry, draw=lambda: 1.0) for retry in range(1, ATTEMPTS)]
    assert bounds[:6] == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32]
    assert bounds[6:] == [CAP_SECONDS] * (ATTEMPTS - 7)
    assert pause(3, draw=lambda: 0.5) == 0.02


def test_attempts_sleep_between_attempts_only_within_the_budget() -> None:
    sleeps: list[float] = []
    assert list(attempts(sleeps.append)) == list(range(ATTEMPTS))
    assert len(sleeps) == ATTEMPTS - 1
    assert sum(sleeps) <= MAX_WAIT_SECONDS <= 2.3
