"""Static files of the repository served by the local stack: `GET|HEAD /clients/js/<file>`.

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
MOUNTS: dict[str, Path] = {"/clients/js": REPOSITORY / "clients" / "js"}
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


def _handler(directory: Path) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        path = _file(directory, request.match_info["name"])
        if path is None:
            raise web.HTTPNotFound(text="not found")
        body = await asyncio.to_thread(path.read_bytes)
        headers = {"Content-Type": CONTENT_TYPES[path.suffix], "Cache-Control": "no-cache"}
        return web.Response(body=body, headers=headers)

    return serve


def routes(mounts: dict[str, Path] = MOUNTS) -> list[web.RouteDef]:
    """GET (and HEAD) `<prefix>/<name>` for each mounted directory."""
    return [web.get(f"{prefix}/{{name}}", _handler(path)) for prefix, path in mounts.items()]
