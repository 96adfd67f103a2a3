"""Tracing spans in logs (SERVER-API §6): `app.span` entries, sampled per trace.

Every invocation is a root span, opened by the edge decorator that wraps the handler. It
continues the trace whose context arrived with the event, or starts a new one: the context is a
W3C `traceparent` (`00-<trace id>-<parent span id>-<flags>`) carried by an SQS message
attribute (the fan-out hop), a key of the payload (Scheduler target input, the asynchronous
invoke of ConnectedFunction) or an HTTP header. The sampling decision is made once, where the
trace starts (`sample_rate` percent), and travels in the flags: a trace is logged in every
function it reaches, or in none. Adapters put `traceparent()` on what they send; `start_span`
and `end_span` time a step inside an invocation (the adapters' AWS calls).

A span is one INFO entry of the Powertools logger (`observability.logger`), so it carries the
logger's keys too:
`{"message": "app.span", "type": "app.span", "traceId", "spanId", "parentSpanId",
"spanName", "status" ("ok" | "error"), "startEpochMs", "durationMs"}`.
Unsampled traces cost two ids and a comparison; names are fixed words, never data.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from opensock.observability import logger

TRACEPARENT = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    sampled: bool
    start: float = field(default_factory=time.time)
    status: str = "ok"
    token: Token[Span | None] | None = None


_current: ContextVar[Span | None] = ContextVar("opensock_span", default=None)


def _new_id(size: int) -> str:
    return os.urandom(size).hex()


def parse_traceparent(value: object) -> tuple[str, str, bool] | None:
    """(trace id, parent span id, sampled) of a well-formed `traceparent`, else None."""
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        return None
    return match.group(1), match.group(2), bool(int(match.group(3), 16) & 1)


def current() -> Span | None:
    return _current.get()


def traceparent() -> str | None:
    """The context to send along with a hop (SQS attribute, payload key), or None outside one."""
    span = _current.get()
    if span is None:
        return None
    return f"00-{span.trace_id}-{span.span_id}-{'01' if span.sampled else '00'}"


def with_trace_context(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` plus the current `traceparent` key (a copy; unchanged outside a trace)."""
    trace = traceparent()
    return {**payload, TRACEPARENT: trace} if trace else payload


def _enabled() -> bool:
    return bool(logger.log_level <= logging.INFO)


def start_span(name: str) -> Span | None:
    """A child of the current span; None (nothing to end) outside a sampled trace."""
    parent = _current.get()
    if parent is None or not parent.sampled:
        return None
    span = Span(parent.trace_id, _new_id(8), parent.span_id, name, sampled=True)
    span.token = _current.set(span)
    return span


def end_span(span: Span | None, status: str = "ok") -> None:
    if span is None:
        return
    span.status = status if span.status == "ok" else span.status
    if span.token is not None:
        _current.reset(span.token)
        span.token = None
    if span.sampled and _enabled():
        _emit(span, time.time())


def mark_error() -> None:
    """The current span ends in error (an invocation that answered 5xx still returns)."""
    span = _current.get()
    if span is not None:
        span.status = "error"


@contextmanager
def root_span(
    name: str, carrier: object, sample_rate: float, started: float | None = None
) -> Iterator[Span]:
    """The invocation's span: continues `carrier`'s trace, or starts one sampled at the rate."""
    parent = parse_traceparent(carrier)
    if parent is not None:
        trace_id, parent_id, sampled = parent
    else:
        trace_id, parent_id = _new_id(16), None
        sampled = sample_rate > 0 and random.random() * 100 < sample_rate
    span = Span(trace_id, _new_id(8), parent_id, name, sampled, start=started or time.time())
    span.token = _current.set(span)
    try:
        yield span
    except BaseException:
        span.status = "error"
        raise
    finally:
        end_span(span, span.status)


def _emit(span: Span, end: float) -> None:
    logger.info(
        "app.span",
        extra={
            "type": "app.span",
            "traceId": span.trace_id,
            "spanId": span.span_id,
            "parentSpanId": span.parent_span_id,
            "spanName": span.name,
            "status": span.status,
            "startEpochMs": int(span.start * 1000),
            "durationMs": round((end - span.start) * 1000, 3),
        },
    )
