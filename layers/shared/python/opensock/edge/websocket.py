"""The WebSocket edge: API Gateway events in, route results out, one decorator for every route.

`@websocket_route(model=…)` parses the event into a `WsRequest` whose body is validated into
the route's request model, appends log keys, supplies the `App` (built once per container on
the first invocation, or the one a test passed in), and maps errors: an `AppError` becomes a
`hotsock.error` frame (on `$connect`, a refused handshake with the error's status); anything
else is logged, counted and answered with a generic error frame, never a stack trace.
A route result is `{"statusCode": …, "body"?: …}`; the body reaches two-way routes only.
"""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload
from urllib.parse import unquote

from opensock.domain import frames
from opensock.domain.frames import Frame
from opensock.domain.model import Origin
from opensock.errors import AppError
from opensock.jsoncodec import dumps, loads_untrusted
from opensock.observability import count, logger, with_metrics
from opensock.tracing import mark_error, root_span

if TYPE_CHECKING:  # the App is built on the first invocation, not at import (cold start)
    from opensock.domain.requests import RequestModel
    from opensock.wiring import App

Body = TypeVar("Body")
M = TypeVar("M", bound="RequestModel")
Response = dict[str, Any]
LambdaHandler = Callable[..., Response]
HANDSHAKE_ROUTES = frozenset({"$connect", "$disconnect"})


class InvalidJson:
    """Marker for a body that is not JSON."""

    def __repr__(self) -> str:
        return "<invalid JSON>"


INVALID_JSON = InvalidJson()


@dataclass(frozen=True)
class WsRequest(Generic[Body]):
    """One WebSocket event as the use cases need it."""

    connection_id: str
    route_key: str
    request_id: str | None
    """The id of the Lambda invocation handling the frame: pub/sub `requestId` (S §5.7)."""
    body: Body
    """The route's request model; without one, the parsed JSON (`INVALID_JSON` if none)."""
    raw_body: str | None
    query: dict[str, str]
    headers: dict[str, str]
    source_ip: str | None
    connected_at_ms: int | None

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")

    def origin(self) -> Origin:
        return Origin(
            trigger="client.websocket",
            request_id=self.request_id,
            connection_id=self.connection_id,
            source_ip=self.source_ip,
            user_agent=self.user_agent,
        )


def ok(frame: Frame | None = None) -> Response:
    if frame is None:
        return {"statusCode": 200}
    return {"statusCode": 200, "body": dumps(frame)}


def status(code: int) -> Response:
    return {"statusCode": code}


def _parse_body(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return loads_untrusted(raw)
    except ValueError:
        return INVALID_JSON


def parse_ws_event(event: dict[str, Any], invocation_id: str | None = None) -> WsRequest[Any]:
    """The frame as the use cases need it; `invocation_id` is the Lambda's `aws_request_id`."""
    context = event.get("requestContext") or {}
    raw_body = event.get("body")
    if raw_body is not None and event.get("isBase64Encoded"):
        raw_body = base64.b64decode(raw_body).decode("utf-8", errors="replace")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    identity = context.get("identity") or {}
    if "user-agent" not in headers and identity.get("userAgent"):
        # Message events carry no headers; API Gateway copies the agent into the identity.
        headers["user-agent"] = str(identity["userAgent"])
    params = event.get("queryStringParameters") or {}
    return WsRequest(
        connection_id=str(context["connectionId"]),
        route_key=str(context.get("routeKey", "$default")),
        request_id=invocation_id,
        body=_parse_body(raw_body),
        raw_body=raw_body,
        query={str(k): unquote(str(v)) for k, v in params.items()},
        headers=headers,
        source_ip=identity.get("sourceIp"),
        connected_at_ms=context.get("connectedAt"),
    )


def _request_channel(request: WsRequest[Any]) -> str | None:
    body = request.body
    if isinstance(body, dict) and isinstance(body.get("channel"), str):
        return str(body["channel"])
    return None


def _refusal(request: WsRequest[Any], err: AppError) -> Response:
    count("RequestRefused")
    logger.info("request refused", extra={"code": err.code, "reason": err.message})
    if request.route_key in HANDSHAKE_ROUTES:
        return status(err.status)
    return ok(frames.error(err, _request_channel(request)))


def _crash(request: WsRequest[Any]) -> Response:
    logger.exception("unhandled error")
    count("UnhandledError")
    mark_error()
    if request.route_key in HANDSHAKE_ROUTES:
        return status(500)
    return ok(frames.internal_error(_request_channel(request)))


def _run(
    handler: Callable[[WsRequest[Any], App], Response],
    model: type[RequestModel] | None,
    event: dict[str, Any],
    context: Any,
    app: App,
) -> Response:
    request = parse_ws_event(event, getattr(context, "aws_request_id", None))
    logger.append_keys(connection_id=request.connection_id, route_key=request.route_key)
    try:
        if model is None:
            return handler(request, app)
        from opensock.domain.requests import parse_body

        return handler(replace(request, body=parse_body(model, request.body)), app)
    except AppError as err:  # the error frame names the channel as the client sent it
        return _refusal(request, err)
    except Exception:
        return _crash(request)


def default_app() -> App:
    from opensock.wiring import get_app

    return get_app()


@overload
def websocket_route(
    model: type[M],
) -> Callable[[Callable[[WsRequest[M], App], Response]], LambdaHandler]: ...


@overload
def websocket_route(
    model: None = None,
) -> Callable[[Callable[[WsRequest[Any], App], Response]], LambdaHandler]: ...


def websocket_route(
    model: type[Any] | None = None,
) -> Callable[[Callable[[WsRequest[Any], App], Response]], LambdaHandler]:
    """The one decorator of every WebSocket handler; `model` validates the frame's body."""

    def decorate(handler: Callable[[WsRequest[Any], App], Response]) -> LambdaHandler:
        @functools.wraps(handler)
        @with_metrics
        @logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
        def lambda_handler(event: dict[str, Any], context: Any, app: App | None = None) -> Response:
            started = time.time()
            app = app or default_app()
            route = (event.get("requestContext") or {}).get("routeKey", "$default")
            rate = app.settings.traces_in_logs_sample_rate
            with root_span(f"websocket {route}", None, rate, started):
                return _run(handler, model, event, context, app)

        return lambda_handler

    return decorate
