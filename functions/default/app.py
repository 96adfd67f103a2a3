"""`$default`: ping/pong/heartbeat, client publishes, and errors for unknown frames."""

from opensock.default_route import handle_default
from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.services import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    return ok(handle_default(request, services))
