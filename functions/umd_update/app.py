"""`hotsock.umdUpdate`: replace a subscription's or the connection's umd (PROTOCOL §7.6, §12).

Two-way route that answers only refusals (`hotsock.error`); success has no acknowledgement
frame (Q-FRAME-5), its consequences are the `hotsock.memberUpdated` frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.requests import UserMetadataUpdateFrame
from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route(model=UserMetadataUpdateFrame)
def lambda_handler(request: WsRequest[UserMetadataUpdateFrame], app: App) -> Response:
    app.user_metadata.update_from_socket(request.connection_id, request.body)
    return ok()
