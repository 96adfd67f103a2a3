"""`hotsock.channelStorageGet`: answer `hotsock.channelStorageData` (§7.5, §8.9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.requests import StorageGetRequest
from opensock.edge.websocket import Response, WsRequest, ok, websocket_route

if TYPE_CHECKING:
    from opensock.wiring import App


@websocket_route(model=StorageGetRequest)
def lambda_handler(request: WsRequest[StorageGetRequest], app: App) -> Response:
    return ok(app.storage.get_from_socket(request.connection_id, request.body))
