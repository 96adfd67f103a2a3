"""Connection lifecycle: open (on `$connect`), announce (`hotsock.connected`), close.

API Gateway refuses posts to a connection until its `$connect` handler has returned, so
`open_connection` hands the announcement to an asynchronous invocation of ConnectedFunction,
which posts `hotsock.connected` with a short bounded retry (docs/decisions.md).
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from opensock.domain import frames
from opensock.domain.envelopes import connection_event
from opensock.domain.model import Connection
from opensock.edge.websocket_events import WsRequest
from opensock.errors import ConnectionGoneError, InvalidTokenError
from opensock.observability import count, logger
from opensock.wiring import Services

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32
ANNOUNCE_MAX_AGE_SECONDS = 120.0
FIRST_RETRY_DELAY = 0.02
MAX_RETRY_DELAY = 0.25


def new_connection_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def open_connection(request: WsRequest, services: Services) -> Connection:
    """Verify the connect token, persist the connection, and schedule its announcement."""
    token = request.query.get("token", "")
    if not token:
        raise InvalidTokenError("missing token")
    claims = services.verifier.verify(token, scope="connect")
    services.verifier.consume(claims)
    connected_at = request.connected_at_ms / 1000 if request.connected_at_ms else services.clock()
    connection = Connection(
        connection_id=request.connection_id,
        uid=claims.uid,
        umd=claims.user_metadata,
        grants={name: grant.wire() for name, grant in claims.channels.items()},
        secret=new_connection_secret(),
        connected_at=connected_at,
        expires_at=int(connected_at) + services.settings.connection_lifetime_seconds,
        source_ip=request.source_ip,
        user_agent=request.user_agent,
        keep_alive=bool(claims.keep_alive),
        heartbeat_timeout=claims.heartbeat_timeout,
    )
    services.connections.put(connection)
    services.invoker.invoke_async(
        services.settings.connected_function_name,
        {
            "connectionId": connection.connection_id,
            "connectedAt": connected_at,
            "requestId": request.request_id,
        },
    )
    return connection


def _post_when_open(services: Services, connection: Connection) -> bool:
    """Post `hotsock.connected`, retrying while API Gateway has not opened the socket yet."""
    deadline = time.monotonic() + services.settings.connected_post_timeout_seconds
    delay = FIRST_RETRY_DELAY
    while True:
        try:
            services.gateway.post(connection.connection_id, frames.connected(connection))
            return True
        except ConnectionGoneError:
            if time.monotonic() + delay > deadline:
                return False
            services.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)


def announce_connection(payload: dict[str, Any], services: Services) -> bool:
    """Send `hotsock.connected` as the first frame, then emit the pub/sub event."""
    connection_id = str(payload["connectionId"])
    age = services.clock() - float(payload.get("connectedAt") or services.clock())
    if age > ANNOUNCE_MAX_AGE_SECONDS:
        logger.warning("stale connected event dropped", extra={"age_seconds": round(age, 3)})
        count("ConnectedEventDropped")
        return False
    connection = services.connections.get(connection_id)
    if connection is None:
        count("ConnectedEventDropped")
        return False
    if not _post_when_open(services, connection):
        logger.warning("connection never opened for hotsock.connected")
        count("ConnectedPostFailed")
        return False
    count("ConnectionAnnounced")
    from opensock.app.subscriptions import auto_subscribe

    auto_subscribe(connection, services)
    if services.pubsub.enabled:
        services.pubsub.emit([connection_event("hotsock.connected", connection)])
    return True


def close_connection(request: WsRequest, services: Services) -> Connection | None:
    """Remove the connection record and everything hanging off it; emit `disconnected`."""
    connection = services.connections.delete(request.connection_id)
    if connection is None:
        count("DisconnectUnknown")
        return None
    count("Disconnected")
    from opensock.app.cleanup import leave_all

    events = leave_all(connection.connection_id, services, connection.channels)
    if services.pubsub.enabled:
        events.append(connection_event("hotsock.disconnected", connection, services.clock()))
        services.pubsub.emit(events)
    return connection
