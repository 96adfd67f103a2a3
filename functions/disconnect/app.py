"""`$disconnect`: remove the connection and everything hanging off it (PROTOCOL §2.4)."""

from opensock.app.connections import close_connection
from opensock.edge.responses import Response, ok
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    close_connection(request, services)
    return ok()
