"""The API Gateway management API: `POST|GET|DELETE /<stage>/@connections/{id}`.

Handlers reach it with their real boto3 `apigatewaymanagementapi` client (endpoint =
`WEBSOCKET_CALLBACK_URL`). Errors carry `x-amzn-ErrorType`, so boto3 raises `GoneException`
(410: unknown, closed, or still in `$connect`) and `PayloadTooLargeException` (413: > 128 KB).
Signatures are not checked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import unquote

from aiohttp import web

from tools.local.connections import ConnectionRegistry, GoneError, Limits

DELETED = (1000, "")


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")


def aws_error(status: int, error_type: str, message: str | None) -> web.Response:
    return web.json_response(
        {"message": message}, status=status, headers={"x-amzn-ErrorType": error_type}
    )


class ManagementApi:
    def __init__(self, registry: ConnectionRegistry, limits: Limits) -> None:
        self.registry = registry
        self.limits = limits

    def routes(self, stage: str) -> list[web.RouteDef]:
        path = f"/{stage}/@connections/{{connection_id}}"
        return [web.post(path, self.post), web.get(path, self.get), web.delete(path, self.delete)]

    @staticmethod
    def _id(request: web.Request) -> str:
        return unquote(request.match_info["connection_id"])

    async def post(self, request: web.Request) -> web.Response:
        data = await request.read()
        if len(data) > self.limits.message_bytes:
            return aws_error(413, "PayloadTooLargeException", "Message too long")
        try:
            connection = self.registry.open(self._id(request))
            await self.registry.send(connection, data)
        except GoneError:
            return aws_error(410, "GoneException", None)
        return web.Response(status=200)

    async def get(self, request: web.Request) -> web.Response:
        try:
            connection = self.registry.open(self._id(request))
        except GoneError:
            return aws_error(410, "GoneException", None)
        context = connection.context
        body = {
            "connectedAt": _iso(context.connected_at_ms / 1000),
            "identity": {"sourceIp": context.source_ip, "userAgent": context.user_agent},
            "lastActiveAt": _iso(connection.last_active_at),
        }
        return web.Response(text=json.dumps(body), content_type="application/json")

    async def delete(self, request: web.Request) -> web.Response:
        try:
            connection = self.registry.open(self._id(request))
        except GoneError:
            return aws_error(410, "GoneException", None)
        await self.registry.close(connection, *DELETED)
        return web.Response(status=204)
