"""`hotsock.channelStorageSet`: write, clear or schedule a channel storage entry (§7.4)."""

from opensock.edge.responses import Response, ok
from opensock.edge.storage_routes import websocket_set
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    websocket_set(request, services)
    return ok()
