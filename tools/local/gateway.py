"""The WebSocket API: API Gateway's behaviour on `ws://127.0.0.1:PORT/<stage>`.

`$connect` gets the query string and headers; a non-2xx answer refuses the handshake with that
status (before any upgrade). Each message goes to the route its body selects, concurrently as
API Gateway invokes them; two-way routes send the handler's `body` back. `$disconnect` runs
after the socket closes. Frames over 32 KB and messages over 128 KB close the socket with 1009;
idle (10 min) and lifetime (2 h) limits close it with 1001 "Going away".
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tools.local import events, frame_guard
from tools.local.connections import ConnectionRegistry, Limits, LocalConnection, new_connection_id
from tools.local.invoker import HandlerError, Invoker
from tools.local.routing import select_route
from tools.local.wiring import Route, WebSocketApi

log = logging.getLogger("tools.local")
GOING_AWAY = (1001, "Going away")


def _status(result: Any) -> int:
    if isinstance(result, dict) and "statusCode" in result:
        return int(result["statusCode"])
    return 200


class WebSocketGateway:
    def __init__(
        self,
        api: WebSocketApi,
        invoker: Invoker,
        registry: ConnectionRegistry,
        limits: Limits,
        api_id: str,
    ) -> None:
        self.api = api
        self.invoker = invoker
        self.registry = registry
        self.limits = limits
        self.api_id = api_id
        self.shutting_down = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=426, text="Upgrade Required")
        context = self._context(request)
        connection = self.registry.register(context)
        try:
            refused = await self._connect(request, connection)
            if refused is not None:
                return refused
            return await self._serve(request, connection)
        finally:
            self.registry.remove(context.connection_id)

    def _context(self, request: web.Request) -> events.WsContext:
        return events.WsContext(
            connection_id=new_connection_id(),
            connected_at_ms=int(time.time() * 1000),
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            domain_name=request.host,
            stage=self.api.stage,
            api_id=self.api_id,
        )

    async def _connect(
        self, request: web.Request, connection: LocalConnection
    ) -> web.Response | None:
        route = self.api.routes.get("$connect")
        if route is None:
            return None
        headers = [
            *request.headers.items(),
            ("X-Forwarded-For", connection.context.source_ip),
            ("X-Forwarded-Proto", "http"),
            ("X-Amzn-Trace-Id", f"Root=1-{uuid.uuid4().hex}"),
        ]
        event = events.ws_connect(connection.context, headers, list(request.query.items()))
        try:
            result = await self.invoker.invoke(route.function, event)
        except HandlerError:
            return web.Response(status=500)
        status = _status(result)
        if 200 <= status < 300:
            return None
        body = result.get("body") if isinstance(result, dict) else None
        return web.Response(status=status, text=body if isinstance(body, str) else None)

    async def _serve(self, request: web.Request, connection: LocalConnection) -> web.StreamResponse:
        # The frame guard enforces both size limits (max_msg_size=0: none of aiohttp's own).
        socket = web.WebSocketResponse(max_msg_size=0, timeout=5.0, compress=False)
        await socket.prepare(request)
        frame_guard.install(request, socket, self.limits)
        connection.socket = socket
        watchdog = asyncio.create_task(self._watch(connection))
        try:
            async for message in socket:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    connection.touch()
                    self._spawn(self._on_message(connection, message.data))
                elif isinstance(message.data, frame_guard.SizeLimitError):
                    # 1009 first, then wait (≤ 5 s) for the client's close frame: closing TCP
                    # while it still sends would reset the connection and lose the 1009.
                    await self.registry.close(connection, *frame_guard.MESSAGE_TOO_BIG)
        finally:
            watchdog.cancel()
        self.registry.remove(connection.context.connection_id)
        if not self.shutting_down and not connection.dropped:
            await self._disconnect(connection, socket)
        connection.served.set()
        return socket

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, connection: LocalConnection) -> None:
        while connection.is_open:
            now = time.monotonic()
            deadline = min(
                connection.last_active + self.limits.idle_seconds,
                connection.started + self.limits.lifetime_seconds,
            )
            if now >= deadline:
                await self.registry.close(connection, *GOING_AWAY)
                return
            await asyncio.sleep(deadline - now)

    async def _on_message(self, connection: LocalConnection, data: str | bytes) -> None:
        route = select_route(self.api, data)
        context = connection.context
        if route is None:
            await self._error_frame(connection, "Forbidden")
            return
        if route.is_mock:  # API Gateway answers by itself: no function runs
            if route.two_way and route.mock_response is not None and connection.is_open:
                await self._send_quietly(connection, route.mock_response)
            return
        try:
            result = await self.invoker.invoke(
                route.function, events.ws_message(context, route.key, data)
            )
        except HandlerError:
            await self._error_frame(connection, "Internal server error")
            return
        await self._reply(connection, route, result)

    async def _reply(self, connection: LocalConnection, route: Route, result: Any) -> None:
        body = result.get("body") if isinstance(result, dict) else result
        if route.two_way and isinstance(body, str) and connection.is_open:
            await self._send_quietly(connection, body)

    async def _error_frame(self, connection: LocalConnection, message: str) -> None:
        frame = {
            "message": message,
            "connectionId": connection.context.connection_id,
            "requestId": uuid.uuid4().hex[:16],
        }
        await self._send_quietly(connection, json.dumps(frame))

    async def _send_quietly(self, connection: LocalConnection, data: str) -> None:
        try:
            await self.registry.send(connection, data)
        except Exception:
            log.debug("reply to %s dropped: socket closed", connection.context.connection_id)

    async def _disconnect(self, connection: LocalConnection, socket: web.WebSocketResponse) -> None:
        route = self.api.routes.get("$disconnect")
        if route is None:
            return
        code, reason = connection.server_close or _client_close(socket)
        try:
            await self.invoker.invoke(
                route.function, events.ws_disconnect(connection.context, code, reason)
            )
        except HandlerError:
            log.warning("$disconnect failed for %s", connection.context.connection_id)

    async def disconnect_gone(self, connection_id: str, domain_name: str) -> None:
        """`$disconnect` for a connection whose socket is gone without one (a restart)."""
        context = events.WsContext(
            connection_id=connection_id,
            connected_at_ms=int(time.time() * 1000),
            source_ip="127.0.0.1",
            user_agent="",
            domain_name=domain_name,
            stage=self.api.stage,
            api_id=self.api_id,
        )
        route = self.api.routes.get("$disconnect")
        if route is not None:
            event = events.ws_disconnect(context, *GOING_AWAY)
            try:
                await self.invoker.invoke(route.function, event)
            except HandlerError:
                log.warning("$disconnect failed for restored %s", connection_id)

    async def drop(self, connection_id: str) -> bool:
        """Close a socket the way API Gateway sometimes does: without running `$disconnect`."""
        connection = next(
            (c for c in self.registry.all_open() if c.context.connection_id == connection_id), None
        )
        if connection is None:
            return False
        connection.dropped = True
        await self.registry.close(connection, *GOING_AWAY)
        await asyncio.wait_for(connection.served.wait(), 10)
        return True

    async def close_all(self) -> None:
        self.shutting_down = True
        for connection in self.registry.all_open():
            await self.registry.close(connection, *GOING_AWAY)
        for task in list(self._tasks):
            task.cancel()


def _client_close(socket: web.WebSocketResponse) -> tuple[int, str]:
    code = socket.close_code
    if code is None or code == 1006:
        return 1006, "Connection was closed abnormally"
    if code == 1005:
        return 1005, "Client-side close frame status not set"
    return int(code), ""
