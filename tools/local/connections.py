"""The connections API Gateway holds: who is open, since when, last active when.

A connection is registered when its upgrade request arrives but is only *open* (postable,
gettable, deletable) once `$connect` has returned 2xx and the socket is upgraded, as in API
Gateway, where a post during `$connect` gets 410 Gone.
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from dataclasses import dataclass, field

from aiohttp import web

from tools.local.events import WsContext

_ID_ALPHABET = string.ascii_letters + string.digits


def new_connection_id() -> str:
    """API Gateway-like id: 15 base64 characters and a trailing `=` (e.g. `Xy3dQe1EoAMCKpQ=`)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


@dataclass(frozen=True)
class Limits:
    frame_bytes: int = 32 * 1024
    message_bytes: int = 128 * 1024
    idle_seconds: float = 600.0
    lifetime_seconds: float = 7200.0


@dataclass
class LocalConnection:
    context: WsContext
    socket: web.WebSocketResponse | None = None
    started: float = field(default_factory=time.monotonic)
    last_active: float = field(default_factory=time.monotonic)
    last_active_at: float = field(default_factory=time.time)
    """`lastActiveAt` of `GET @connections/{id}`: the last frame the client sent (or the
    connect). Posts to the client keep it open (idle timer) but do not move this (modelled
    assumption, docs/decisions.md); liveness enforcement reads it."""
    server_close: tuple[int, str] | None = None
    """Status API Gateway reports in `$disconnect` when it (not the client) closed."""
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dropped: bool = False
    """Closed by `POST /_local/connections/{id}/drop`: no `$disconnect` (a missed one)."""
    served: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the socket is closed and its `$disconnect` ran (or was skipped)."""

    @property
    def is_open(self) -> bool:
        return self.socket is not None and not self.socket.closed

    def touch(self, *, inbound: bool = True) -> None:
        self.last_active = time.monotonic()
        if inbound:
            self.last_active_at = time.time()


class GoneError(Exception):
    pass


class ConnectionRegistry:
    def __init__(self) -> None:
        self._connections: dict[str, LocalConnection] = {}

    def register(self, context: WsContext) -> LocalConnection:
        connection = LocalConnection(context)
        self._connections[context.connection_id] = connection
        return connection

    def remove(self, connection_id: str) -> None:
        self._connections.pop(connection_id, None)

    def open(self, connection_id: str) -> LocalConnection:
        connection = self._connections.get(connection_id)
        if connection is None or not connection.is_open:
            raise GoneError(connection_id)
        return connection

    def all_open(self) -> list[LocalConnection]:
        return [c for c in self._connections.values() if c.is_open]

    async def send(self, connection: LocalConnection, data: bytes | str) -> None:
        """One message to the client: text when it is UTF-8, binary otherwise."""
        socket = connection.socket
        if socket is None or socket.closed:
            raise GoneError(connection.context.connection_id)
        async with connection.send_lock:
            try:
                await _send(socket, data)
            except ConnectionError as exc:
                raise GoneError(connection.context.connection_id) from exc
        connection.touch(inbound=False)

    async def close(self, connection: LocalConnection, code: int, reason: str) -> None:
        connection.server_close = (code, reason)
        if connection.socket is not None:
            await connection.socket.close(code=code, message=reason.encode())


async def _send(socket: web.WebSocketResponse, data: bytes | str) -> None:
    if isinstance(data, str):
        await socket.send_str(data)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        await socket.send_bytes(data)
        return
    await socket.send_str(text)
