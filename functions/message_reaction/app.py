"""`hotsock.messageReaction`: add or remove a reaction on a stored message; errors as the body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.requests import ReactionFrame
from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route(model=ReactionFrame)
def lambda_handler(request: WsRequest[ReactionFrame], app: App) -> Response:
    app.reactions.react_from_socket(request.connection_id, request.body, request.origin())
    return ok()
