"""`$disconnect`: remove the connection and everything hanging off it (PROTOCOL §2.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route()
def lambda_handler(request: WsRequest[Any], app: App) -> Response:
    app.connections.close(request.connection_id)
    return ok()
