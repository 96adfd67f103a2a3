"""`hotsock.unsubscribe`: leave a channel; the reply is `hotsock.unsubscribed` or an error."""

from opensock.edge.channel_routes import unsubscribe_from_socket
from opensock.edge.responses import Response, ok
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    return ok(unsubscribe_from_socket(request, services))
