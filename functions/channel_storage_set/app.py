"""`hotsock.channelStorageSet`: write, clear or schedule a channel storage entry (§7.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.requests import StorageSetRequest
from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route(model=StorageSetRequest)
def lambda_handler(request: WsRequest[StorageSetRequest], app: App) -> Response:
    app.storage.set_from_socket(request.connection_id, request.body, request.origin())
    return ok()
