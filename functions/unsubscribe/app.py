"""`hotsock.unsubscribe`: leave a channel; the reply is `hotsock.unsubscribed` or an error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.requests import UnsubscribeRequest
from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route(model=UnsubscribeRequest)
def lambda_handler(request: WsRequest[UnsubscribeRequest], app: App) -> Response:
    return ok(app.subscriptions.unsubscribe(request.connection_id, request.body.channel))
