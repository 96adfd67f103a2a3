"""Connection lifecycle: open (on `$connect`), announce (`hotsock.connected`), close.

API Gateway refuses posts to a connection until its `$connect` handler has returned, so `open`
hands the announcement to an asynchronous invocation of ConnectedFunction, which posts
`hotsock.connected` with a short bounded retry (docs/decisions.md).
"""

from __future__ import annotations

import hmac
import secrets
import string
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opensock.app.cleanup import ConnectionCleanup
from opensock.app.subscriptions import Subscriptions
from opensock.clock import Clock
from opensock.domain import frames
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.envelopes import connection_event
from opensock.domain.model import Connection, Origin
from opensock.errors import ConnectionGoneError, InvalidTokenError, UnauthorizedError
from opensock.observability import count, logger
from opensock.ports import ConnectionGateway, ConnectionRepository, EventPublisher, Invoker

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32
ANNOUNCE_MAX_AGE_SECONDS = 120.0
FIRST_RETRY_DELAY = 0.02
MAX_RETRY_DELAY = 0.25

AfterAnnounce = Callable[[Connection], object]
"""Runs once `hotsock.connected` was posted (the liveness timers, §2.2 step 8)."""


def new_connection_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


class Connections:
    def __init__(
        self,
        connections: ConnectionRepository,
        verifier: TokenVerifier,
        gateway: ConnectionGateway,
        invoker: Invoker,
        publisher: EventPublisher,
        subscriptions: Subscriptions,
        cleanup: ConnectionCleanup,
        clock: Clock,
        *,
        lifetime_seconds: int,
        connected_function_name: str,
        connected_post_timeout_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        after_announce: Sequence[AfterAnnounce] = (),
    ) -> None:
        self._connections = connections
        self._verifier = verifier
        self._gateway = gateway
        self._invoker = invoker
        self._publisher = publisher
        self._subscriptions = subscriptions
        self._cleanup = cleanup
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._connected_function = connected_function_name
        self._post_timeout = connected_post_timeout_seconds
        self._sleep = sleep
        self._after_announce = tuple(after_announce)

    def open(self, token: str, origin: Origin, connected_at_ms: int | None) -> Connection:
        """Verify the connect token, persist the connection, and schedule its announcement."""
        if not token:
            raise InvalidTokenError("missing token")
        claims = self._verifier.verify(token, scope="connect")
        self._verifier.consume(claims)
        connected_at = connected_at_ms / 1000 if connected_at_ms else self._clock()
        connection = Connection(
            connection_id=str(origin.connection_id),
            uid=claims.uid,
            umd=claims.user_metadata,
            grants={name: grant.wire() for name, grant in claims.channels.items()},
            secret=new_connection_secret(),
            connected_at=connected_at,
            expires_at=int(connected_at) + self._lifetime,
            source_ip=origin.source_ip,
            user_agent=origin.user_agent,
            keep_alive=bool(claims.keep_alive),
            heartbeat_timeout=claims.heartbeat_timeout,
        )
        self._connections.put(connection)
        self._invoker.invoke_async(
            self._connected_function,
            {
                "connectionId": connection.connection_id,
                "connectedAt": connected_at,
                "requestId": origin.request_id,
            },
        )
        count("Connected")
        return connection

    def announce(self, payload: Mapping[str, Any]) -> bool:
        """Send `hotsock.connected` as the first frame, then emit the pub/sub event."""
        connection_id = str(payload["connectionId"])
        age = self._clock() - float(payload.get("connectedAt") or self._clock())
        if age > ANNOUNCE_MAX_AGE_SECONDS:
            logger.warning("stale connected event dropped", extra={"age_seconds": round(age, 3)})
            count("ConnectedEventDropped")
            return False
        connection = self._connections.get(connection_id)
        if connection is None:
            count("ConnectedEventDropped")
            return False
        if not self._post_when_open(connection):
            logger.warning("connection never opened for hotsock.connected")
            count("ConnectedPostFailed")
            return False
        count("ConnectionAnnounced")
        for hook in self._after_announce:
            hook(connection)
        self._subscriptions.auto_subscribe(connection)
        if self._publisher.enabled:
            self._publisher.emit([connection_event("hotsock.connected", connection)])
        return True

    def close(self, connection_id: str) -> Connection | None:
        """Remove the connection record and everything hanging off it; emit `disconnected`."""
        connection = self._connections.delete(connection_id)
        if connection is None:
            count("DisconnectUnknown")
            return None
        count("Disconnected")
        events = self._cleanup.leave_all(connection.connection_id, connection.channels)
        if self._publisher.enabled:
            events.append(connection_event("hotsock.disconnected", connection, self._clock()))
            self._publisher.emit(events)
        return connection

    def authenticate(self, connection_id: str, secret: str) -> Connection:
        """The Client HTTP API's credentials: a live connection and its secret (constant time)."""
        connection = self._connections.get(connection_id) if connection_id and secret else None
        if connection is None or not hmac.compare_digest(
            connection.secret.encode("utf-8"), secret.encode("utf-8")
        ):
            raise UnauthorizedError("invalid connection credentials")
        return connection

    def _post_when_open(self, connection: Connection) -> bool:
        """Post `hotsock.connected`, retrying while API Gateway has not opened the socket yet."""
        deadline = time.monotonic() + self._post_timeout
        delay = FIRST_RETRY_DELAY
        while True:
            try:
                self._gateway.post(connection.connection_id, frames.connected(connection))
                return True
            except ConnectionGoneError:
                if time.monotonic() + delay > deadline:
                    return False
                self._sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY)
