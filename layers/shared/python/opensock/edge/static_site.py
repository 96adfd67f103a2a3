"""Static files behind a Function URL: the web console (WebConsoleFunction, SERVER-API §8).

The files are the repository's `clients/` folder, shipped as a layer (`/opt` in Lambda). Only
fixed URL prefixes map to fixed folders, and only plain file names with a known suffix are
served, so nothing else of the function's file system is reachable. Nothing here reads
settings: the page never receives a secret. It learns where to connect from the
`?wssUrl=…&httpApiUrl=…` of the `WebConsoleHttpUrl` output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class StaticSite:
    """`GET /` -> `index`; `GET <prefix><name>` -> `<folder>/<name>` for each mount."""

    def __init__(self, root: Path, index: str, mounts: Mapping[str, str]) -> None:
        self.root = root
        self.index = index
        self.mounts = dict(mounts)

    def file_for(self, path: str) -> Path | None:
        if path in ("", "/"):
            return self.root / self.index
        for prefix, folder in self.mounts.items():
            name = path.removeprefix(prefix)
            if name != path and _FILE_NAME.fullmatch(name) and Path(name).suffix in CONTENT_TYPES:
                return self.root / folder / name
        return None

    def respond(self, event: Mapping[str, Any]) -> dict[str, Any]:
        http = (event.get("requestContext") or {}).get("http") or {}
        method = str(http.get("method", "GET")).upper()
        if method not in ("GET", "HEAD"):
            return _text(405, "method not allowed", {"Allow": "GET, HEAD"})
        found = self.file_for(str(event.get("rawPath") or http.get("path") or "/"))
        if found is None or not found.is_file():
            return _text(404, "not found")
        body = found.read_text(encoding="utf-8") if method == "GET" else ""
        headers = {"Content-Type": CONTENT_TYPES[found.suffix], **HEADERS}
        return {"statusCode": 200, "headers": headers, "body": body}


def _text(status: int, text: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "text/plain; charset=utf-8", **HEADERS, **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": text}
