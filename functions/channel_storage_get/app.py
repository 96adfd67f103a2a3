"""`hotsock.channelStorageGet`: answer `hotsock.channelStorageData` (§7.5, §8.9)."""

from opensock.edge.responses import Response, ok
from opensock.edge.storage_routes import websocket_get
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    return ok(websocket_get(request, services))
