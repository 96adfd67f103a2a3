"""Stragglers: told apart by events, not by timing the fast ones."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from opensock.app.stragglers import stragglers


def test_every_post_ending_leaves_no_straggler() -> None:
    done: list[Future[int]] = []
    for n in range(300):
        future: Future[int] = Future()
        future.set_result(n)
        done.append(future)
    assert stragglers(done, grace=10.0) == []


def test_a_post_still_running_after_the_grace_is_a_straggler() -> None:
    # GIVEN three posts, the middle one held until the test lets it go
    held = threading.Event()
    with ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(lambda: 1),
            pool.submit(held.wait, 30),
            pool.submit(lambda: 3),
        ]
        # WHEN the grace passes with the others ended THEN only the held one is slow
        assert stragglers(futures, grace=0.01) == [1]
        held.set()
