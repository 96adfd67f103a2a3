"""WebSocket entry points of the channel routes: parse the frame, load the connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.app.subscriptions import subscribe, unsubscribe
from opensock.domain.frames import Frame
from opensock.edge.websocket_events import WsRequest
from opensock.errors import InvalidMessageError, SubscribePermissionDeniedError

if TYPE_CHECKING:
    from opensock.wiring import Services


def subscribe_from_socket(request: WsRequest, services: Services) -> None:
    from opensock.edge.requests import SubscribeFrame, parse_body  # pydantic: first request

    try:
        frame = parse_body(SubscribeFrame, request.body)
    except InvalidMessageError as err:
        body = request.body
        if isinstance(body, dict) and isinstance(body.get("channel"), str):
            raise SubscribePermissionDeniedError(err.message) from None
        raise
    connection = services.connections.get(request.connection_id)
    if connection is None:
        raise SubscribePermissionDeniedError("connection is not open", channel=frame.channel)
    token = frame.data.token if frame.data else None
    subscribe(connection, frame.channel, services, token=token)


def unsubscribe_from_socket(request: WsRequest, services: Services) -> Frame:
    from opensock.edge.requests import ChannelFrame, parse_body

    frame = parse_body(ChannelFrame, request.body)
    return unsubscribe(request.connection_id, frame.channel, services)
