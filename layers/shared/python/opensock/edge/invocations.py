"""The decorators of the handlers that are not WebSocket routes.

`@invocation`: asynchronous invokes, SQS, Scheduler and stream events. Exceptions propagate,
so that the invoker retries (Lambda async, SQS redrive, Scheduler retry policy, stream).
`@function_url`: PublishFunction and HttpApiFunction (direct invoke or Function URL); the
handler also receives the invocation's request id (pub/sub `requestId`, SERVER-API §5.7).
Both apply the same Powertools stack and supply the `App` as `@websocket_route` does, and
open the invocation's root span, continuing the trace whose `traceparent` the event carries
(a payload key, the first SQS record's message attribute, or an HTTP header).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from opensock.edge.websocket import default_app
from opensock.observability import count, logger, with_metrics
from opensock.tracing import TRACEPARENT, root_span

if TYPE_CHECKING:  # the App is built on the first invocation, not at import (cold start)
    from opensock.wiring import App

T = TypeVar("T")


def trace_carrier(event: Any) -> Any:
    """The `traceparent` an event brings: payload key, SQS message attribute or HTTP header."""
    if not isinstance(event, dict):
        return None
    if TRACEPARENT in event:
        return event[TRACEPARENT]
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        attribute = (records[0].get("messageAttributes") or {}).get(TRACEPARENT) or {}
        return attribute.get("stringValue")
    headers = event.get("headers")
    return headers.get(TRACEPARENT) if isinstance(headers, dict) else None


def span_name(context: Any) -> str:
    return str(getattr(context, "function_name", None) or "invocation")


def _entry(run: Callable[[Any, App, Any], T]) -> Callable[..., T]:
    @with_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: Any, context: Any, app: App | None = None) -> T:
        started = time.time()
        try:
            app = app or default_app()
            rate = app.settings.traces_in_logs_sample_rate
            with root_span(span_name(context), trace_carrier(event), rate, started):
                return run(event, app, context)
        except Exception:
            logger.exception("invocation failed; the invoker retries it")
            count("InvocationFailed")
            raise

    return lambda_handler


def invocation(handler: Callable[[dict[str, Any], App], T]) -> Callable[..., T]:
    wrapped = _entry(lambda event, app, context: handler(event, app))
    return functools.wraps(handler)(wrapped)


def function_url(handler: Callable[[Any, App, str | None], T]) -> Callable[..., T]:
    def run(event: Any, app: App, context: Any) -> T:
        return handler(event, app, getattr(context, "aws_request_id", None))

    return functools.wraps(handler)(_entry(run))
