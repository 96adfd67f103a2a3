"""API Gateway WebSocket events -> `WsRequest` (connection id, route, parsed body, origin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from opensock.domain.model import Origin
from opensock.jsoncodec import loads_untrusted


@dataclass(frozen=True)
class WsRequest:
    """One WebSocket event as the domain needs it."""

    connection_id: str
    route_key: str
    request_id: str | None
    body: Any
    """The parsed JSON body; `None` for connect/disconnect. Unparseable JSON is `_INVALID`."""
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


class InvalidJson:
    """Marker for a body that is not JSON."""

    def __repr__(self) -> str:
        return "<invalid JSON>"


INVALID_JSON = InvalidJson()


def _parse_body(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return loads_untrusted(raw)
    except ValueError:
        return INVALID_JSON


def _query(event: dict[str, Any]) -> dict[str, str]:
    params = event.get("queryStringParameters") or {}
    return {str(k): unquote(str(v)) for k, v in params.items()}


def parse_ws_event(event: dict[str, Any]) -> WsRequest:
    context = event.get("requestContext") or {}
    raw_body = event.get("body")
    if raw_body is not None and event.get("isBase64Encoded"):
        import base64

        raw_body = base64.b64decode(raw_body).decode("utf-8", errors="replace")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    identity = context.get("identity") or {}
    if "user-agent" not in headers and identity.get("userAgent"):
        # Message events carry no headers; API Gateway copies the agent into the identity.
        headers["user-agent"] = str(identity["userAgent"])
    return WsRequest(
        connection_id=str(context["connectionId"]),
        route_key=str(context.get("routeKey", "$default")),
        request_id=context.get("requestId"),
        body=_parse_body(raw_body),
        raw_body=raw_body,
        query=_query(event),
        headers=headers,
        source_ip=identity.get("sourceIp"),
        connected_at_ms=context.get("connectedAt"),
    )
