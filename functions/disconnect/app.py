"""`$disconnect`: remove the connection and everything hanging off it (PROTOCOL §2.4)."""

from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.lifecycle import close_connection
from opensock.services import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    close_connection(request, services)
    return ok()
