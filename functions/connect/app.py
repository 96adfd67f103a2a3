"""`$connect`: verify the connect token and persist the connection (PROTOCOL §2.2)."""

from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.lifecycle import open_connection
from opensock.observability import count
from opensock.services import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    open_connection(request, services)
    count("Connected")
    return ok()
