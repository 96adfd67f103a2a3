"""The storage WebSocket routes: `hotsock.channelStorageSet` and `hotsock.channelStorageGet`.

Both are two-way routes: a set answers nothing (the writer sees its own
`hotsock.channelStorageUpdated` if it observes the key, Q-FRAME-5), a get answers
`hotsock.channelStorageData`; refusals become `hotsock.error` frames at the edge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.app.storage import SetResult, client_get, client_set
from opensock.domain.frames import Frame
from opensock.domain.model import Connection, Origin
from opensock.edge.storage_requests import parse_get, parse_set
from opensock.edge.websocket_events import WsRequest
from opensock.errors import UnauthorizedError

if TYPE_CHECKING:
    from opensock.adapters.dynamodb.client_reads import ClientReads
    from opensock.wiring import Services


def _read(
    request: WsRequest, channel: str, services: Services, key: str | None = None
) -> tuple[Connection, ClientReads]:
    """The connection and its subscription (and the entry `key`) in one batch read."""
    reads = services.client_reader.read(request.connection_id, channel, key)
    if reads.connection is None:
        raise UnauthorizedError("unknown connection")
    return reads.connection, reads


def websocket_origin(request: WsRequest, connection: Connection) -> Origin:
    """`client.websocket`, with the source IP and user agent seen at connect (SERVER-API §5.7)."""
    return Origin(
        trigger="client.websocket",
        request_id=request.request_id,
        connection_id=connection.connection_id,
        source_ip=connection.source_ip,
        user_agent=connection.user_agent,
    )


def websocket_set(request: WsRequest, services: Services) -> SetResult:
    body = parse_set(request.body)
    connection, reads = _read(request, body.channel, services)
    return client_set(body, connection, websocket_origin(request, connection), services, reads)


def websocket_get(request: WsRequest, services: Services) -> Frame:
    body = parse_get(request.body)
    connection, reads = _read(request, body.channel, services, body.key)
    return client_get(body, connection, services, reads)
