"""The edges of a umd update: the WebSocket route and `POST /connection/umdUpdate`.

Both answer nothing on success beyond their transport's ack (Q-FRAME-5; HTTP `200 {}`). A
per-channel update without a subscription is `NOT_SUBSCRIBED` over HTTP, but on the WebSocket
`UMD_UPDATE_PERMISSION_DENIED`: hotsock-js would take `NOT_SUBSCRIBED` as an unsubscribe
answer (PROTOCOL §9.2, Q-ERR).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.app.user_metadata import update_umd
from opensock.edge.http import HttpResult
from opensock.edge.user_metadata_requests import parse_frame, parse_http_body
from opensock.edge.websocket_events import WsRequest
from opensock.errors import NotSubscribedError, UmdUpdatePermissionDeniedError

if TYPE_CHECKING:
    from opensock.edge.http_routes import ConnectionCall
    from opensock.wiring import Services


def umd_update_from_socket(request: WsRequest, services: Services) -> None:
    body = parse_frame(request.body)
    connection = services.connections.get(request.connection_id)
    if connection is None:
        raise UmdUpdatePermissionDeniedError("connection is not open", channel=body.channel)
    try:
        update_umd(connection, body, services)
    except NotSubscribedError as err:
        message = "not subscribed to this channel"
        raise UmdUpdatePermissionDeniedError(message, channel=err.channel) from None


def umd_update(call: ConnectionCall, services: Services) -> HttpResult:
    update_umd(call.connection, parse_http_body(call.body), services)
    return HttpResult(200, {})
