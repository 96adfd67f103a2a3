"""The decorators of the handlers that are not WebSocket routes.

`@invocation`: asynchronous invokes, SQS, Scheduler and stream events. Exceptions propagate,
so that the invoker retries (Lambda async, SQS redrive, Scheduler retry policy, stream).
`@function_url`: PublishFunction and HttpApiFunction (direct invoke or Function URL); the
handler also receives the invocation's request id (pub/sub `requestId`, SERVER-API §5.7).
Both apply the same Powertools stack and supply the `App` as `@websocket_route` does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from opensock.edge.websocket import default_app
from opensock.observability import count, logger, with_metrics

if TYPE_CHECKING:  # the App is built on the first invocation, not at import (cold start)
    from opensock.wiring import App

T = TypeVar("T")


def _entry(run: Callable[[Any, App, Any], T]) -> Callable[..., T]:
    @with_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: Any, context: Any, app: App | None = None) -> T:
        try:
            return run(event, app or default_app(), context)
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
