"""`hotsock.subscribe`: join a channel; `hotsock.subscribed` is posted, errors are the reply."""

from opensock.channels.entry import subscribe_from_socket
from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.services import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    subscribe_from_socket(request, services)
    return ok()
