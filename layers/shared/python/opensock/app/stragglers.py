"""Stragglers: the posts of one batch that are still running well after the others ended.

`stragglers` waits until every post has ended, or until `grace` seconds pass in which none
ended; what still runs then is slow, whatever the batch's size (a 2 s post among 250 that end
in 30 ms is told apart ≈ `grace` after the last of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any


def stragglers(futures: Sequence[Future[Any]], grace: float) -> list[int]:
    """Indexes of the futures still running once `grace` passed with none of them ending."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=grace, return_when=FIRST_COMPLETED)
        if not done:
            break
    return [at for at, future in enumerate(futures) if future in pending]
