"""Static files of the repository served by the local stack: the browser client
(`/clients/js/<file>`), the web console (`/` and `/console/<file>`) and the chat demo
(`/examples/chat/` and its files).

Only files directly inside a mounted directory, with a known suffix, are served; the content
type comes from the table below (not from the machine's mime.types), so an ES module is
always `text/javascript` (RFC 9239), which browsers require of module scripts. Responses say
`Cache-Control: no-cache` so an edited file is picked up on reload.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

REPOSITORY = Path(__file__).resolve().parents[2]
MOUNTS: dict[str, Path] = {
    "/clients/js": REPOSITORY / "clients" / "js",
    "/console": REPOSITORY / "clients" / "console",
    "/examples/chat": REPOSITORY / "examples" / "chat",
}
INDEXES: dict[str, Path] = {
    "/": REPOSITORY / "clients" / "console" / "index.html",
    "/examples/chat/": REPOSITORY / "examples" / "chat" / "index.html",
}
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def _file(directory: Path, name: str) -> Path | None:
    if not _FILE_NAME.fullmatch(name) or Path(name).suffix not in CONTENT_TYPES:
        return None
    path = directory / name
    return path if path.is_file() else None


async def _respond(path: Path | None) -> web.Response:
    if path is None or not path.is_file():
        raise web.HTTPNotFound(text="not found")
    body = await asyncio.to_thread(path.read_bytes)
    headers = {"Content-Type": CONTENT_TYPES[path.suffix], "Cache-Control": "no-cache"}
    return web.Response(body=body, headers=headers)


def _handler(directory: Path) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        return await _respond(_file(directory, request.match_info["name"]))

    return serve


def _index(path: Path) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        return await _respond(path)

    return serve


def _add_slash(target: str) -> Handler:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target)

    return redirect


def routes(
    mounts: dict[str, Path] = MOUNTS, indexes: dict[str, Path] = INDEXES
) -> list[web.RouteDef]:
    """GET (and HEAD) `<prefix>/<name>` for each mounted directory, and each index page (a
    directory's URL without its slash redirects to it)."""
    found = [web.get(f"{prefix}/{{name}}", _handler(path)) for prefix, path in mounts.items()]
    for url, path in indexes.items():
        found.append(web.get(url, _index(path)))
        if url != "/" and url.endswith("/"):
            found.append(web.get(url.rstrip("/"), _add_slash(url)))
    return found
