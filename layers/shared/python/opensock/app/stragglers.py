"""Stragglers: the posts of one batch that are still running well after the others ended.

`stragglers` waits until every post has ended, or until `grace` seconds have passed since the
last one ended (or since the wait began); what still runs then is slow, whatever the batch's
size (a 2 s post among 250 that end in 30 ms is told apart `grace` after the last of them).
Each post's end is counted by a done-callback, so the wait wakes only when all have ended or
the grace may be over: no cost per post beyond a counter (a `wait(FIRST_COMPLETED)` per
completion would cost O(n²) for a batch of n).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any


def stragglers(futures: Sequence[Future[Any]], grace: float) -> list[int]:
    """Indexes of the futures still running once `grace` passed with none of them ending."""
    total, ended, last = len(futures), 0, time.monotonic()
    changed = threading.Condition()

    def end(_: Future[Any]) -> None:
        nonlocal ended, last
        with changed:
            ended, last = ended + 1, time.monotonic()
            if ended == total:
                changed.notify()

    for future in futures:
        future.add_done_callback(end)
    with changed:
        while ended < total:
            idle = time.monotonic() - last
            if idle >= grace:
                break
            changed.wait(grace - idle)
    return [at for at, future in enumerate(futures) if not future.done()]
