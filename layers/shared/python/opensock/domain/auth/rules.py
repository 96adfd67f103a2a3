"""Rules: how the values of several matching keys combine into one decision.

Booleans follow PROTOCOL §5.4: an explicit `false` anywhere wins, else any `true`, else the
default `false`. Non-boolean directives follow Q-PERM-3: values from exact keys beat values
from pattern keys, and among the remaining values the most permissive wins. A candidate is a
pair `(exact, value)`; unset values (`None`) are never candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")

Candidate = tuple[bool, int]
ReactPermission = bool | frozenset[str]
"""`True` = any reaction, `False` = none, a set = only those reaction values."""


def tri_state(values: Iterable[bool | None]) -> bool | None:
    """`False` if any value is an explicit false, else `True` if any is true, else `None`."""
    seen_true = False
    for value in values:
        if value is False:
            return False
        seen_true = seen_true or value is True
    return True if seen_true else None


def resolve_flag(values: Iterable[bool | None]) -> bool:
    return tri_state(values) is True


def _preferred(candidates: Sequence[tuple[bool, T]]) -> list[T]:
    exact = [value for is_exact, value in candidates if is_exact]
    return exact or [value for _, value in candidates]


def _store_rank(value: int) -> tuple[bool, int]:
    return (value == -1, value)


def most_permissive_store(candidates: Sequence[Candidate]) -> int | None:
    """`-1` (forever) over any finite retention, else the largest."""
    values = _preferred(candidates)
    return max(values, key=_store_rank) if values else None


def latest(candidates: Sequence[Candidate]) -> int | None:
    """`scheduleBefore`: the largest instant."""
    values = _preferred(candidates)
    return max(values) if values else None


def earliest(candidates: Sequence[Candidate]) -> int | None:
    """`historyStart`: the smallest instant."""
    values = _preferred(candidates)
    return min(values) if values else None


def react_permission(candidates: Sequence[tuple[bool, bool | list[str]]]) -> ReactPermission:
    """`false` on any matching key denies; else `true` allows all; else the union of lists."""
    if any(value is False for _, value in candidates):
        return False
    values = _preferred(candidates)
    if not values:
        return False
    if any(value is True for value in values):
        return True
    return frozenset(item for value in values if isinstance(value, list) for item in value)
