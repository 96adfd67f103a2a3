"""HttpApiFunction: the Client HTTP API (`POST /connection/<action>`, S §4) and the admin API
(`GET /channels/...`, S §3). Routes come from `opensock.registry`; checks run in the order
route/method → credentials → body, and the first failure answers.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opensock import registry
from opensock.domain.model import Connection, Origin
from opensock.edge.http import (
    HttpRequest,
    HttpResult,
    NotAllowedError,
    parse_http_event,
    run_http,
)
from opensock.errors import NotFoundError, UnauthorizedError

if TYPE_CHECKING:
    from opensock.wiring import Services


@dataclass(frozen=True)
class ConnectionCall:
    connection: Connection
    body: Any
    origin: Origin
    request: HttpRequest


@dataclass(frozen=True)
class AdminCall:
    params: dict[str, str]
    request: HttpRequest


def authenticate(request: HttpRequest, services: Services) -> Connection:
    connection_id = request.query.get("connectionId", "")
    secret = request.query.get("connectionSecret", "")
    connection = services.connections.get(connection_id) if connection_id and secret else None
    if connection is None or not hmac.compare_digest(
        connection.secret.encode("utf-8"), secret.encode("utf-8")
    ):
        raise UnauthorizedError("invalid connection credentials")
    return connection


def _connection_action(action: str, request: HttpRequest, services: Services) -> HttpResult:
    path = registry.CONNECTION_ACTIONS.get(action)
    if path is None:
        raise NotFoundError()
    if request.method == "OPTIONS":
        return HttpResult(204)
    if request.method != "POST":
        raise NotAllowedError("POST")
    connection = authenticate(request, services)
    origin = request.origin("client.http", connection.connection_id)
    call = ConnectionCall(connection, request.json(), origin, request)
    result: HttpResult = registry.load(path)(call, services)
    return result


def match_admin(segments: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
    for template, path in registry.ADMIN_ROUTES.items():
        parts = template.split("/")
        if len(parts) != len(segments):
            continue
        params = {p[1:-1]: s for p, s in zip(parts, segments, strict=True) if p.startswith("{")}
        if all(p.startswith("{") or p == s for p, s in zip(parts, segments, strict=True)):
            return path, params
    return None


def _admin(request: HttpRequest, services: Services) -> HttpResult:
    matched = match_admin(request.segments)
    if matched is None:
        raise NotFoundError()
    if request.method != "GET":
        raise NotAllowedError("GET")
    services.api_keys.check(request.headers.get("authorization"))
    path, params = matched
    result: HttpResult = registry.load(path)(AdminCall(params, request), services)
    return result


def route(request: HttpRequest, services: Services) -> HttpResult:
    segments = request.segments
    if len(segments) == 2 and segments[0] == "connection":
        return _connection_action(segments[1], request, services)
    if segments and segments[0] == "channels":
        return _admin(request, services)
    raise NotFoundError()


def handle_http_api(event: dict[str, Any], services: Services, request_id: str | None) -> Any:
    return run_http(lambda request: route(request, services), parse_http_event(event))
