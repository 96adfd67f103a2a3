"""`@websocket_route`: the one decorator every WebSocket handler wears.

It parses the API Gateway event, appends log keys, supplies `Services`, and maps errors: an
`AppError` becomes a `hotsock.error` frame (or, on `$connect`, a refused handshake with the
error's status); anything else is logged, counted and answered with a generic error frame.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from opensock.domain import frames
from opensock.edge.responses import Response, ok, status
from opensock.edge.websocket_events import WsRequest, parse_ws_event
from opensock.errors import AppError
from opensock.observability import count, logger, with_metrics
from opensock.wiring import Services, get_services

RouteHandler = Callable[[WsRequest, Services], Response]
LambdaHandler = Callable[..., Response]

HANDSHAKE_ROUTES = frozenset({"$connect", "$disconnect"})


def _request_channel(request: WsRequest) -> str | None:
    body = request.body
    if isinstance(body, dict) and isinstance(body.get("channel"), str):
        return str(body["channel"])
    return None


def _refusal(request: WsRequest, err: AppError) -> Response:
    count("RequestRefused")
    logger.info("request refused", extra={"code": err.code, "reason": err.message})
    if request.route_key in HANDSHAKE_ROUTES:
        return status(err.status)
    return ok(frames.error(err, _request_channel(request)))


def _crash(request: WsRequest) -> Response:
    logger.exception("unhandled error")
    count("UnhandledError")
    if request.route_key in HANDSHAKE_ROUTES:
        return status(500)
    return ok(frames.internal_error(_request_channel(request)))


def run_route(handler: RouteHandler, event: dict[str, Any], services: Services) -> Response:
    request = parse_ws_event(event)
    logger.append_keys(connection_id=request.connection_id, route_key=request.route_key)
    try:
        return handler(request, services)
    except AppError as err:
        return _refusal(request, err)
    except Exception:
        return _crash(request)


def websocket_route(handler: RouteHandler) -> LambdaHandler:
    @functools.wraps(handler)
    @with_metrics
    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
    def lambda_handler(
        event: dict[str, Any], context: Any, services: Services | None = None
    ) -> Response:
        return run_route(handler, event, services or get_services())

    return lambda_handler
