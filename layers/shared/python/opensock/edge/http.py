"""The Function URL edge shared by PublishFunction and HttpApiFunction.

Parses payload v2.0 events (base64 bodies, query parameters), answers JSON with CORS headers
on every response, turns `AppError` into `{"error": {"code", "message"}}` with its status, and
checks Bearer API keys in constant time (keys from settings plus an SSM path at cold start).
"""

from __future__ import annotations

import base64
import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

from opensock.domain.model import Origin, Trigger
from opensock.errors import AppError, InvalidMessageError, MethodNotAllowedError, UnauthorizedError
from opensock.jsoncodec import dumps, loads_untrusted
from opensock.observability import count, logger, with_metrics
from opensock.wiring import Services, get_services

T = TypeVar("T")
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


def parse_http_event(event: dict[str, Any]) -> HttpRequest:
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
        request_id=context.get("requestId"),
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
    return {"error": {"code": err.code, "message": err.message}}


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
        return respond(error_result(AppError("internal error")))


class ApiKeys:
    """Accepted Bearer keys: configured ones plus every parameter under an SSM path."""

    def __init__(self, keys: tuple[str, ...], parameter_path: str = "", ssm: Any = None) -> None:
        self._configured = keys
        self._path = parameter_path
        self._ssm = ssm
        self._keys: tuple[bytes, ...] | None = None

    def _load(self) -> tuple[bytes, ...]:
        keys = list(self._configured)
        if self._path:
            if self._ssm is None:
                import boto3

                self._ssm = boto3.client("ssm")
            pages = self._ssm.get_paginator("get_parameters_by_path").paginate(
                Path=self._path, Recursive=True, WithDecryption=True
            )
            keys.extend(p["Value"] for page in pages for p in page.get("Parameters", []))
        return tuple(key.encode("utf-8") for key in keys if key)

    def check(self, authorization: str | None) -> None:
        if self._keys is None:
            self._keys = self._load()
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise UnauthorizedError("missing or malformed Authorization header")
        given = key.encode("utf-8")
        matches = [hmac.compare_digest(given, known) for known in self._keys]
        if not any(matches):
            raise UnauthorizedError("unknown API key")


def function_url_entry(
    handler: Callable[[dict[str, Any], Services, str | None], T],
) -> Callable[..., T]:
    """Like `@lambda_entry`, and passes the invocation's request id (pub/sub `requestId`)."""

    @functools.wraps(handler)
    @with_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: Any, services: Services | None = None) -> T:
        request_id = getattr(context, "aws_request_id", None)
        try:
            return handler(event, services or get_services(), request_id)
        except Exception:
            logger.exception("invocation failed")
            count("InvocationFailed")
            raise

    return lambda_handler
