"""`hotsock.channelStorageGet`: answer `hotsock.channelStorageData` (§7.5, §8.9)."""

from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.services import Services
from opensock.storage.websocket import websocket_get


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    return ok(websocket_get(request, services))
