"""Driving a running local stack with real clients: `websockets`, boto3 and plain HTTP.

`StackHandle` wraps a started `tools.local.server.LocalStack` (see `conftest.py` for the API).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from websockets.asyncio.client import ClientConnection, connect

from tools.local.server import LocalStack

DEFAULT_TIMEOUT = 5.0


def _parse(frame: str | bytes) -> Any:
    try:
        return json.loads(frame)
    except ValueError:
        return frame


class WsClient:
    """One WebSocket connection; frames are JSON-decoded when they are JSON."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.buffered: list[Any] = []

    async def send(self, frame: Any) -> None:
        await self.connection.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def recv(self, timeout: float = DEFAULT_TIMEOUT) -> Any:
        if self.buffered:
            return self.buffered.pop(0)
        return _parse(await asyncio.wait_for(self.connection.recv(), timeout))

    async def recv_event(self, event_name: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The first frame whose `event` is `event_name`; other frames stay buffered."""
        for index, frame in enumerate(self.buffered):
            if isinstance(frame, dict) and frame.get("event") == event_name:
                return self.buffered.pop(index)  # type: ignore[no-any-return]
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {event_name!r} frame within {timeout}s: {self.buffered}")
            frame = _parse(await asyncio.wait_for(self.connection.recv(), remaining))
            if isinstance(frame, dict) and frame.get("event") == event_name:
                return frame
            self.buffered.append(frame)

    async def close(self, code: int = 1000) -> None:
        await self.connection.close(code)

    async def __aenter__(self) -> WsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Connecting:
    """`await stack.connect(t)` or `async with stack.connect(t) as client`."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.client: WsClient | None = None

    async def _open(self) -> WsClient:
        connection = await connect(self.url, additional_headers=self.headers, max_size=None)
        self.client = WsClient(connection)
        return self.client

    def __await__(self) -> Any:
        return self._open().__await__()

    async def __aenter__(self) -> WsClient:
        return await self._open()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.client is not None:
            await self.client.close()


class StackHandle:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.ws_url = stack.ws_url
        self.http_url = stack.http_url
        self.publish_key = stack.publish_key
        self.environment = dict(stack.environment)
        self._clients: dict[tuple[str, str], Any] = {}

    def close(self) -> None:
        """Close the SDK clients (their pooled sockets would otherwise be left to the GC)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def mint_token(self, scope: str = "connect", ttl: int = 3600, **claims: Any) -> str:
        return self.stack.mint_token(claims, scope=scope, ttl=ttl)

    def connect(
        self, token: str | None, headers: dict[str, str] | None = None, **query: str
    ) -> Connecting:
        params = {"token": token, **query} if token is not None else query
        url = f"{self.ws_url}?{urllib.parse.urlencode(params)}" if params else self.ws_url
        return Connecting(url, headers or {})

    def http(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Message, bytes]:
        """(status, headers (case-insensitive), body)."""
        data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
        request = urllib.request.Request(self.http_url + path, data, headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=DEFAULT_TIMEOUT * 2) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        query = f"?{urllib.parse.urlencode({'type': type})}" if type else ""
        return json.loads(self.http("GET", f"/_local/events{query}")[2])  # type: ignore[no-any-return]

    def invocations(self, function: str | None = None) -> list[dict[str, Any]]:
        query = f"?function={function}" if function else ""
        return json.loads(self.http("GET", f"/_local/invocations{query}")[2])  # type: ignore[no-any-return]

    def wait_event(
        self,
        type: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda e: True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """The first recorded pub/sub event of `type` matching `predicate` (polls)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events(type) if predicate(e)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {type} event within {timeout}s")
            time.sleep(0.05)

    def wait_invocation(
        self,
        function: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda i: True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """The first recorded invocation of `function` matching `predicate` (polls)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [i for i in self.invocations(function) if predicate(i)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{function} was not invoked within {timeout}s")
            time.sleep(0.05)

    def lambda_client(self) -> Any:
        return self._client("lambda", self.http_url)

    def management_client(self) -> Any:
        return self._client("apigatewaymanagementapi", f"{self.http_url}/{self.stack.stage}")

    def _client(self, service: str, endpoint: str) -> Any:
        """One client per service and endpoint for the stack's life, closed with it."""
        if (service, endpoint) not in self._clients:
            config = Config(retries={"max_attempts": 1}, read_timeout=30)
            self._clients[(service, endpoint)] = boto3.client(
                service,
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=config,
            )
        return self._clients[(service, endpoint)]
