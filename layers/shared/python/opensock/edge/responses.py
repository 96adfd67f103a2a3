"""WebSocket route results: `{"statusCode": …, "body"?: …}` (body reaches two-way routes only)."""

from __future__ import annotations

from typing import Any

from opensock.domain.frames import Frame
from opensock.jsoncodec import dumps

Response = dict[str, Any]


def ok(frame: Frame | None = None) -> Response:
    if frame is None:
        return {"statusCode": 200}
    return {"statusCode": 200, "body": dumps(frame)}


def status(code: int) -> Response:
    return {"statusCode": code}
