"""Shared fuzzing helpers: run N hypothesis examples, and accept only documented refusals."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opensock.errors import AppError
from opensock.jsoncodec import loads_untrusted

PROFILE = settings.get_profile("opensock-reliability")


class EdgeRefusal(Exception):
    """The WebSocket/HTTP edge refuses the text before any route sees it (INVALID_MESSAGE)."""


def through_the_edge(body: Any) -> Any:
    """What a route receives: the frame as text, parsed by the edge's own parser."""
    try:
        return loads_untrusted(json.dumps(body))
    except ValueError:
        raise EdgeRefusal() from None


def assert_documented(run: Callable[[], Any]) -> None:
    try:
        run()
    except EdgeRefusal:
        pass
    except AppError as err:
        assert type(err) is not AppError
        assert err.code != "INTERNAL_ERROR"
        assert err.status in {400, 401, 403, 404, 409}


def run_fuzz(examples: int, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> int:
    """Run `check` on `examples` hypothesis examples; assert that (nearly) all really ran."""
    seen: list[int] = []

    @settings(PROFILE, max_examples=examples)
    @given(strategy)
    def run(value: Any) -> None:
        seen.append(1)
        check(value)

    run()
    assert len(seen) >= examples * 0.9
    return len(seen)


# --- seeded mutation (high volume) ---------------------------------------------------------
# Hypothesis supplies a seed; a plain `random.Random` mutates a plausible frame from it. One
# example costs one integer draw instead of a structured draw (~5x cheaper), so the pure layer
# gets its volume here; the structured strategies explore field types more deliberately.
POOL: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 1.5, -0.0, 1e308, 2**53, 10**40, 3155695201, "", " ", "\x00",
    "\ud800", "é", "*", "#", "a,b", "hotsock.", "hotsock.subscribe", "#regex:(", "room",
    "presence.lobby", "k", "at(2030-01-01T00:00:00)", "at(0001-01-01T00:00:00)",
    "at(9999-12-31T23:59:59)", "America", "Asia/Tokyo", [], {}, [1], {"a": 1}, {"token": "x"},
)  # fmt: skip


def _value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(POOL)
    if roll < 0.7:
        return "x" * rng.choice([127, 128, 129, 255, 256, 257, 1024, 32 * 1024 - 2, 32 * 1024])
    if roll < 0.8:
        depth = rng.randint(1, 60)
        value: Any = rng.choice(POOL)
        for _ in range(depth):
            value = [value] if rng.random() < 0.5 else {"d": value}
        return value
    if roll < 0.9:
        return "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 8)))
    return rng.randint(-(2**64), 2**64)


def mutate(seed: int, base: dict[str, Any]) -> Any:
    rng = random.Random(seed)
    frame: Any = dict(base)
    for _ in range(rng.randint(1, 4)):
        if not isinstance(frame, dict):
            break
        op = rng.random()
        names = list(frame) or ["event"]
        if op < 0.25 and frame:
            del frame[rng.choice(names)]
        elif op < 0.7:
            frame[rng.choice(names)] = _value(rng)
        elif op < 0.8:
            frame[rng.choice(["data", "token", "keys", "store", "extra", "scheduleExpression"])] = (
                _value(rng)
            )
        elif op < 0.9:
            name = rng.choice(names)
            frame[name] = rng.choice([[frame.get(name)], {"v": frame.get(name)}])
        else:
            frame = _value(rng)
    return frame


def seeds() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=2**63)
