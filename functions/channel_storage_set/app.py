"""`hotsock.channelStorageSet`: write, clear or schedule a channel storage entry (§7.4)."""

from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.services import Services
from opensock.storage.websocket import websocket_set


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    websocket_set(request, services)
    return ok()
