"""`$connect`: verify the connect token and persist the connection (PROTOCOL §2.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route()
def lambda_handler(request: WsRequest[Any], app: App) -> Response:
    app.connections.open(request.query.get("token", ""), request.origin(), request.connected_at_ms)
    return ok()
