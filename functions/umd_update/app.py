"""`hotsock.umdUpdate`: replace a subscription's or the connection's umd (PROTOCOL §7.6, §12).

Two-way route that answers only refusals (`hotsock.error`); success has no acknowledgement
frame (Q-FRAME-5), its consequences are the `hotsock.memberUpdated` frames.
"""

from opensock.gateway.events import WsRequest
from opensock.gateway.responses import Response, ok
from opensock.gateway.route import websocket_route
from opensock.services import Services
from opensock.umd.entry import umd_update_from_socket


@websocket_route
def lambda_handler(request: WsRequest, services: Services) -> Response:
    umd_update_from_socket(request, services)
    return ok()
