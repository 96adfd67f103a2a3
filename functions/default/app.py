"""`$default`: ping/pong/heartbeat, client publishes, and errors for unknown frames."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route()
def lambda_handler(request: WsRequest[Any], app: App) -> Response:
    return ok(app.client_frames.receive(request.connection_id, request.body, request.origin()))
