"""Function URLs: HTTP request -> payload format 2.0 event -> handler -> HTTP response.

`/publish` reaches the function behind the template's `PublishHttpApiUrl` output; every other
path (`/connection/*`, `/channels/*`) the one behind `HttpApiUrl`. The response follows the
Function URL rules: a result with `statusCode` is used as given (headers, cookies, base64
bodies); any other result is 200 JSON. CORS preflights are answered from the URL's `Cors`
config without invoking the function, and its CORS headers replace the function's.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from tools.local import events
from tools.local.invoker import HandlerError, Invoker
from tools.local.wiring import FunctionUrl


def _url_id(function: str) -> str:
    return hashlib.sha256(function.encode()).hexdigest()[:32]


def _matches(mount: FunctionUrl, path: str) -> bool:
    prefix = mount.path_prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


class FunctionUrls:
    def __init__(self, mounts: list[FunctionUrl], invoker: Invoker, region: str) -> None:
        self.mounts = mounts
        self.invoker = invoker
        self.region = region

    def mount_for(self, path: str) -> FunctionUrl | None:
        return next((m for m in self.mounts if _matches(m, path)), None)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        mount = self.mount_for(request.path)
        if mount is None:
            message = f"no Function URL in the template serves {request.path}"
            return web.json_response({"Message": message}, status=404)
        origin = request.headers.get("Origin")
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if preflight and mount.cors:
            return web.Response(status=200, headers=_preflight_headers(mount.cors, origin))
        facts = events.HttpRequestFacts(
            method=request.method,
            path=request.path,
            raw_query=request.query_string,
            query=list(request.query.items()),
            headers=list(request.headers.items()),
            body=await request.read(),
            source_ip=request.remote or "127.0.0.1",
            url_id=_url_id(mount.function),
        )
        try:
            result = await self.invoker.invoke(
                mount.function, events.function_url(facts, self.region)
            )
        except HandlerError:
            return web.json_response({"Message": "Internal Server Error"}, status=502)
        response = to_http_response(result)
        if mount.cors:
            _apply_cors(response, mount.cors, origin)
        return response


def to_http_response(result: Any) -> web.Response:
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return web.Response(body=text.encode(), headers={"Content-Type": "application/json"})
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in (result.get("headers") or {}).items():
        headers[name] = str(value)
    for cookie in result.get("cookies") or []:
        headers.add("Set-Cookie", cookie)
    body = result.get("body")
    raw = b""
    if body is not None:
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    headers.setdefault("Content-Type", "application/json")
    return web.Response(status=int(result["statusCode"]), body=raw, headers=headers)


def _allowed_origin(cors: dict[str, Any], origin: str | None) -> str | None:
    allowed = cors.get("AllowOrigins") or []
    if origin is None:
        return None
    if "*" in allowed:
        return origin if cors.get("AllowCredentials") else "*"
    return origin if origin in allowed else None


def _preflight_headers(cors: dict[str, Any], origin: str | None) -> dict[str, str]:
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return {}
    headers = {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": ",".join(cors.get("AllowMethods") or ["*"]),
        "Access-Control-Allow-Headers": ",".join(cors.get("AllowHeaders") or []),
    }
    if "MaxAge" in cors:
        headers["Access-Control-Max-Age"] = str(cors["MaxAge"])
    if cors.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    return {k: v for k, v in headers.items() if v}


def _apply_cors(response: web.Response, cors: dict[str, Any], origin: str | None) -> None:
    for name in [n for n in response.headers if n.lower().startswith("access-control-")]:
        del response.headers[name]
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return
    response.headers["Access-Control-Allow-Origin"] = allowed
    if cors.get("ExposeHeaders"):
        response.headers["Access-Control-Expose-Headers"] = ",".join(cors["ExposeHeaders"])
    if cors.get("AllowCredentials"):
        response.headers["Access-Control-Allow-Credentials"] = "true"
