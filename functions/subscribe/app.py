"""`hotsock.subscribe`: join a channel; `hotsock.subscribed` is posted, errors are the reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.requests import SubscribeRequest
from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route(model=SubscribeRequest)
def lambda_handler(request: WsRequest[SubscribeRequest], app: App) -> Response:
    body = request.body
    app.subscriptions.subscribe_from_socket(
        request.connection_id, body.channel, body.token, body.resume_after
    )
    return ok()
