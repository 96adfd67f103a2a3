"""Request events as AWS shapes them: API Gateway WebSocket and Function URL (format 2.0).

Field names and nesting follow real events (checked against the Powertools parser models in
`tests/local/test_events.py`); only identifiers and hostnames are local. Event-source records
(SQS, DynamoDB streams) are in `records.py`.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


@dataclass(frozen=True)
class WsContext:
    """What API Gateway knows about one connection."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    user_agent: str
    domain_name: str
    stage: str
    api_id: str


def request_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _ws_request_context(ws: WsContext, route_key: str, event_type: str) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    request_id = base64.b64encode(uuid.uuid4().bytes[:9]).decode()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": ws.stage,
        "connectedAt": ws.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"userAgent": ws.user_agent, "sourceIp": ws.source_ip},
        "requestId": request_id,
        "domainName": ws.domain_name,
        "connectionId": ws.connection_id,
        "apiId": ws.api_id,
    }


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def ws_connect(
    ws: WsContext, headers: list[tuple[str, str]], query: list[tuple[str, str]]
) -> dict[str, Any]:
    single_headers, multi_headers = _multi(headers)
    event: dict[str, Any] = {
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "requestContext": _ws_request_context(ws, "$connect", "CONNECT"),
        "isBase64Encoded": False,
    }
    if query:
        single_query, multi_query = _multi(query)
        event["queryStringParameters"] = single_query
        event["multiValueQueryStringParameters"] = multi_query
    return event


def ws_message(ws: WsContext, route_key: str, body: str | bytes) -> dict[str, Any]:
    context = _ws_request_context(ws, route_key, "MESSAGE")
    context["messageId"] = base64.b64encode(uuid.uuid4().bytes[:9]).decode()
    context["identity"] = {"sourceIp": ws.source_ip}
    if isinstance(body, bytes):
        return {
            "requestContext": context,
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
        }
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def ws_disconnect(ws: WsContext, status_code: int, reason: str) -> dict[str, Any]:
    headers = [
        ("Host", ws.domain_name),
        ("x-api-key", ""),
        ("X-Forwarded-For", ""),
        ("x-restapi", ""),
    ]
    single, multi = _multi(headers)
    context = _ws_request_context(ws, "$disconnect", "DISCONNECT")
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": context,
        "isBase64Encoded": False,
    }


@dataclass(frozen=True)
class HttpRequestFacts:
    method: str
    path: str
    raw_query: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    url_id: str


def _fold(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated names joined with commas, as payload format 2.0 does."""
    folded: dict[str, str] = {}
    for name, value in pairs:
        folded[name] = f"{folded[name]},{value}" if name in folded else value
    return folded


def function_url(request: HttpRequestFacts, region: str) -> dict[str, Any]:
    """A Function URL (payload format 2.0) event."""
    cookie_headers = [v for k, v in request.headers if k.lower() == "cookie"]
    cookies = [c.strip() for v in cookie_headers for c in v.split(";") if c.strip()]
    headers = _fold([(k.lower(), v) for k, v in request.headers if k.lower() != "cookie"])
    query = _fold(request.query)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": _url_request_context(request, headers.get("user-agent", ""), region),
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if request.body:
        event.update(_body(request.body, headers.get("content-type", "")))
    return event


def _url_request_context(request: HttpRequestFacts, user_agent: str, region: str) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    http = {
        "method": request.method,
        "path": request.path,
        "protocol": "HTTP/1.1",
        "sourceIp": request.source_ip,
        "userAgent": user_agent,
    }
    return {
        "accountId": "anonymous",
        "apiId": request.url_id,
        "domainName": f"{request.url_id}.lambda-url.{region}.on.aws",
        "domainPrefix": request.url_id,
        "http": http,
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": request_time(now_ms),
        "timeEpoch": now_ms,
    }


def _body(body: bytes, content_type: str) -> dict[str, Any]:
    if content_type.startswith(TEXT_TYPES) or not content_type:
        try:
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
