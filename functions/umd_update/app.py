"""`hotsock.umdUpdate`: replace a subscription's or the connection's umd (PROTOCOL §7.6, §12).

Two-way route that answers only refusals (`hotsock.error`); success has no acknowledgement
frame (Q-FRAME-5), its consequences are the `hotsock.memberUpdated` frames.
"""

from opensock.edge.responses import Response, ok
from opensock.edge.user_metadata_routes import umd_update_from_socket
from opensock.edge.websocket import websocket_route
from opensock.edge.websocket_events import WsRequest
from opensock.wiring import Services


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    umd_update_from_socket(request, services)
    return ok()
