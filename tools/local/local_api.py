"""The local stack's own endpoints (`/_local/...`) and its start-up banner.

- `GET /_local/health`: 200 once the stack is ready.
- `GET /_local/events[?type=hotsock.subscribed]`: recorded pub/sub envelopes, oldest first.
- `GET /_local/invocations[?function=StreamFunction]`: recent handler invocations (event,
  start time, duration (`null` while still running), error payload), oldest first.
- `POST /_local/connections/{id}/drop`: close a socket without running `$disconnect` (API
  Gateway's best-effort `$disconnect` missed); 204, or 404 when no such socket is open.
- `GET /_local/console`: where the console served at `/` connects (`wsUrl`, `httpApiUrl`);
  its answering at all tells the console it runs against the local stack.

The console's token endpoints are in `token_api.py`, its inspection endpoints in
`inspect_api.py`.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web

from tools.local.tokens import DEV_CLAIMS

if TYPE_CHECKING:
    from tools.local.server import LocalStack


def routes(stack: LocalStack) -> list[web.RouteDef]:
    async def health(request: web.Request) -> web.Response:
        status = 200 if stack.ready else 503
        return web.json_response({"ready": stack.ready}, status=status)

    async def events(request: web.Request) -> web.Response:
        found = await asyncio.to_thread(stack.recorder.events_of, request.query.get("type"))
        return web.json_response(found)

    async def invocations(request: web.Request) -> web.Response:
        wanted = request.query.get("function")
        found = [
            {
                "function": i.function,
                "startedAt": i.started_at,
                "durationMs": i.duration_ms,
                "error": i.error,
                "event": i.event,
            }
            for i in list(stack.invoker.history)
            if wanted is None or i.function == wanted
        ]
        return web.Response(text=json.dumps(found, default=str), content_type="application/json")

    async def console(request: web.Request) -> web.Response:
        urls = {"wsUrl": stack.ws_url, "httpApiUrl": stack.http_url}
        return web.json_response({"local": True, **urls})

    async def drop(request: web.Request) -> web.Response:
        gateway = stack.gateway
        connection_id = unquote(request.match_info["connection_id"])
        dropped = gateway is not None and await gateway.drop(connection_id)
        return web.Response(status=204 if dropped else 404)

    return [
        web.get("/_local/console", console),
        web.post("/_local/connections/{connection_id}/drop", drop),
        web.get("/_local/health", health),
        web.get("/_local/events", events),
        web.get("/_local/invocations", invocations),
    ]


def banner(stack: LocalStack) -> str:
    token = stack.mint_token(DEV_CLAIMS, ttl=24 * 3600)
    urls = {mount.function: mount.path_prefix for mount in stack.function_urls.mounts}
    lines = [
        f"Opensock local stack ready on {stack.http_url} (from {stack.options.template.name})",
        f"  Web console       {stack.http_url}/",
        f"  Chat demo         {stack.http_url}/examples/chat/",
        f"  WebSocket API     {stack.ws_url}?token=<JWT>",
        f"  Management API    {stack.http_url}/{stack.stage}/@connections/{{id}}",
        f"  Lambda Invoke API {stack.http_url}  (FunctionName = logical id, e.g. PublishFunction)",
    ]
    lines += [f"  Function URL      {stack.http_url}{path}  -> {fn}" for fn, path in urls.items()]
    lines += [
        f"  JS client         {stack.http_url}/clients/js/opensock.js",
        f"  Pub/sub events    {stack.http_url}/_local/events",
        f"  Health            {stack.http_url}/_local/health",
        f"  Publish API key   {stack.publish_key}",
        f"  Connect token (uid dev, 24 h, all channels):\n    {token}",
        f"  Try: wscat -c '{stack.ws_url}?token=<token above>'",
    ]
    for function, error in getattr(stack, "import_errors", {}).items():
        lines.append(f"  !! {function} cannot be imported: {error}")
    return "\n".join(lines)
