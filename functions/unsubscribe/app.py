"""`hotsock.unsubscribe`: leave a channel; the reply is `hotsock.unsubscribed` or an error."""

from opensock.channels.entry import unsubscribe_from_socket
from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.services import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    return ok(unsubscribe_from_socket(request, services))
