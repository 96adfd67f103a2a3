"""`$connect`: verify the connect token and persist the connection (PROTOCOL §2.2)."""

from opensock.app.connections import open_connection
from opensock.edge.responses import Response, ok
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.observability import count
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    open_connection(request, services)
    count("Connected")
    return ok()
