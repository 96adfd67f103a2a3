"""`$default`: ping/pong/heartbeat, client publishes, and errors for unknown frames."""

from opensock.edge.default_frames import handle_default
from opensock.edge.responses import Response, ok
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    return ok(handle_default(request, services))
