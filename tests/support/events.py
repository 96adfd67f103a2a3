"""Sample events from `events/*.json`, adjusted per test (never inline 50-line dicts)."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from opensock.jsoncodec import dumps

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return copy.deepcopy(event)


def ws_event(
    name: str,
    *,
    connection_id: str = "Xy3dQe1EoAMCKpQ=",
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway WebSocket event from `events/<name>.json` for another connection/body."""
    event = load_event(name)
    event["requestContext"]["connectionId"] = connection_id
    if "connectedAt" in event["requestContext"]:
        # API Gateway stamps the connection's open time; keep it current so it is not expired.
        event["requestContext"]["connectedAt"] = int(time.time() * 1000)
    if raw_body is not None:
        event["body"] = raw_body
    elif body is not None:
        event["body"] = dumps(body)
    if query is not None:
        event["queryStringParameters"] = query
    return event
