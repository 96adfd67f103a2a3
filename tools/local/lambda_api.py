"""The Lambda Invoke API: `POST /2015-03-31/functions/{name}/invocations`.

A backend's `boto3.client("lambda", endpoint_url="http://127.0.0.1:PORT").invoke(...)` and the
handlers' own clients (via `AWS_ENDPOINT_URL_LAMBDA`) land here. `FunctionName` may be the
logical id, the deployed-style name or an ARN. `RequestResponse` answers 200 with the result
(or the error payload and `X-Amz-Function-Error: Unhandled`); `Event` answers 202 and runs the
function in the background; `DryRun` answers 204.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tools.local.environment import resolve_function
from tools.local.invoker import HandlerError, Invoker
from tools.local.management_api import aws_error
from tools.local.naming import function_arn

log = logging.getLogger("tools.local")
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
_HEADERS = {"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json"}


class LambdaApi:
    def __init__(self, invoker: Invoker, aliases: Mapping[str, str]) -> None:
        self.invoker = invoker
        self.aliases = aliases
        self._background: set[asyncio.Task[None]] = set()

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/2015-03-31/functions/{name}/invocations", self.invoke)]

    async def invoke(self, request: web.Request) -> web.Response:
        name = unquote(request.match_info["name"])
        function = resolve_function(self.aliases, name)
        if function is None:
            arn = function_arn(self.invoker.template.resolver, name)
            return aws_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        raw = await request.read()
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(raw) > limit:
            return aws_error(413, "RequestTooLargeException", "Request must be smaller")
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            message = "Could not parse request body into json"
            return aws_error(400, "InvalidRequestContentException", message)
        if invocation_type == "DryRun":
            return web.Response(status=204)
        if invocation_type == "Event":
            self.dispatch(function, payload)
            return web.Response(status=202, headers={"X-Amz-Executed-Version": "$LATEST"})
        return await self._request_response(function, payload)

    async def _request_response(self, function: str, payload: Any) -> web.Response:
        try:
            result = await self.invoker.invoke(function, payload)
        except HandlerError as err:
            headers = {**_HEADERS, "X-Amz-Function-Error": "Unhandled"}
            return web.Response(status=200, text=json.dumps(err.payload), headers=headers)
        return web.Response(status=200, text=json.dumps(result, default=str), headers=_HEADERS)

    def dispatch(self, function: str, payload: Any) -> None:
        """Invoke asynchronously (InvocationType Event), as Scheduler and async callers do."""
        task = asyncio.create_task(self._run_async(function, payload))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run_async(self, function: str, payload: Any) -> None:
        try:
            await self.invoker.invoke(function, payload)
        except HandlerError:
            log.warning("asynchronous invocation of %s failed (not retried locally)", function)

    async def drain(self) -> None:
        for task in list(self._background):
            task.cancel()
