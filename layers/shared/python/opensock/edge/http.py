"""The Function URL edge shared by PublishFunction and HttpApiFunction.

Parses payload v2.0 events (base64 bodies, query parameters), answers JSON with CORS headers
on every response, and turns `AppError` into `{"error": {"code", "message"}}` with its status
(the one HTTP error mapper); anything else is a generic 500 with no details.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from opensock.domain.model import Origin, Trigger
from opensock.errors import AppError, InvalidMessageError, MethodNotAllowedError, UnauthorizedError
from opensock.jsoncodec import dumps, loads_untrusted
from opensock.observability import count, logger
from opensock.tracing import mark_error

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,POST,OPTIONS",
    "Access-Control-Allow-Headers": "content-type,authorization",
    "Access-Control-Max-Age": "86400",
}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    segments: tuple[str, ...]
    """Path segments, each percent-decoded once; empty segments dropped (`//a` = `/a`)."""
    query: dict[str, str]
    headers: dict[str, str]
    body: str
    request_id: str | None = None
    """The id of the Lambda invocation handling the request: pub/sub `requestId` (S §5.7)."""
    source_ip: str | None = None

    @property
    def path(self) -> str:
        return "/".join(self.segments)

    def json(self) -> Any:
        if not self.body.strip():
            raise InvalidMessageError("body must be a JSON object")
        try:
            return loads_untrusted(self.body)
        except ValueError:
            raise InvalidMessageError("body is not valid JSON") from None

    def origin(self, trigger: Trigger, connection_id: str | None = None) -> Origin:
        return Origin(
            trigger=trigger,
            request_id=self.request_id,
            connection_id=connection_id,
            source_ip=self.source_ip,
            user_agent=self.headers.get("user-agent"),
        )


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class NotAllowedError(MethodNotAllowedError):
    def __init__(self, allow: str) -> None:
        self.allow = allow
        super().__init__()


def is_http_event(event: Any) -> bool:
    return isinstance(event, dict) and "http" in (event.get("requestContext") or {})


def parse_http_event(event: dict[str, Any], invocation_id: str | None = None) -> HttpRequest:
    """The request as the routes need it; `invocation_id` is the Lambda's `aws_request_id`."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    body = event.get("body") or ""
    if body and event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    raw_path = str(event.get("rawPath") or http.get("path") or "/")
    query = event.get("queryStringParameters") or {}
    return HttpRequest(
        method=str(http.get("method", "GET")).upper(),
        segments=tuple(unquote(part) for part in raw_path.split("/") if part),
        query={str(k): str(v) for k, v in query.items()},
        headers={str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()},
        body=body,
        request_id=invocation_id,
        source_ip=http.get("sourceIp"),
    )


def respond(result: HttpResult) -> dict[str, Any]:
    headers = {**CORS_HEADERS, **result.headers}
    response: dict[str, Any] = {"statusCode": result.status, "headers": headers}
    if result.body is not None:
        headers["Content-Type"] = "application/json"
        response["body"] = dumps(result.body)
    return response


def error_body(err: AppError) -> dict[str, Any]:
    return {"error": {"code": err.code, "message": err.message, **err.details()}}


def error_result(err: AppError) -> HttpResult:
    headers = {}
    if isinstance(err, UnauthorizedError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(err, NotAllowedError):
        headers["Allow"] = err.allow
    return HttpResult(err.status, error_body(err), headers)


def run_http(handler: Callable[[HttpRequest], HttpResult], request: HttpRequest) -> dict[str, Any]:
    try:
        return respond(handler(request))
    except AppError as err:
        count("HttpRequestRefused")
        logger.info("http request refused", extra={"code": err.code, "path": request.path})
        return respond(error_result(err))
    except Exception:
        logger.exception("unhandled error")
        count("UnhandledError")
        mark_error()
        return respond(error_result(AppError("internal error")))
