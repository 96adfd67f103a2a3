"""`hotsock.subscribe`: join a channel; `hotsock.subscribed` is posted, errors are the reply."""

from opensock.edge.channel_routes import subscribe_from_socket
from opensock.edge.responses import Response, ok
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    subscribe_from_socket(request, services)
    return ok()
