"""`@lambda_entry`: the decorator for handlers that are not WebSocket routes.

Same Powertools stack and `Services` injection as `@websocket_route`; exceptions propagate so
that asynchronous invokers (Lambda async, SQS, Scheduler, streams) retry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from opensock.observability import count, logger, with_metrics
from opensock.wiring import Services, get_services

T = TypeVar("T")
EntryHandler = Callable[[dict[str, Any], Services], T]


def lambda_entry(handler: EntryHandler[T]) -> Callable[..., T]:
    @functools.wraps(handler)
    @with_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: Any, services: Services | None = None) -> T:
        try:
            return handler(event, services or get_services())
        except Exception:
            logger.exception("invocation failed; the invoker retries it")
            count("InvocationFailed")
            raise

    return lambda_handler
