"""Shared fuzzing helpers: run N hypothesis examples, and accept only documented refusals."""

from __future__ import annotations

import json
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
