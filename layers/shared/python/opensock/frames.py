"""Server -> client frames shared by every route (PROTOCOL §8). Pure builders."""

from __future__ import annotations

from typing import Any

from opensock.clock import rfc3339_seconds
from opensock.errors import AppError
from opensock.models import Connection

Frame = dict[str, Any]


def connected(connection: Connection) -> Frame:
    return {
        "event": "hotsock.connected",
        "data": {
            "connectionId": connection.connection_id,
            "connectionExpiresAt": rfc3339_seconds(connection.expires_at),
            "connectionSecret": connection.secret,
        },
        "meta": connection.identity.as_json(),
    }


def error(err: AppError, channel: str | None = None) -> Frame:
    frame: Frame = {"event": "hotsock.error"}
    target = err.channel if err.channel is not None else channel
    if target is not None:
        frame["channel"] = target
    frame["error"] = {"code": err.code, "message": err.message}
    return frame


def internal_error(channel: str | None = None) -> Frame:
    return error(AppError("internal error"), channel)


def pong() -> Frame:
    # PROTOCOL §8.13: the documented frame carries `data` as the string "{}".
    return {"event": "hotsock.pong", "data": "{}"}
