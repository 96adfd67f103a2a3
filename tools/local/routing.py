"""WebSocket route selection, as API Gateway evaluates `RouteSelectionExpression`.

`$request.body.<path>` is read from a JSON text frame; a missing or non-string value, a frame
that is not a JSON object, or a key with no route falls back to `$default`. Without a
`$default` route the message is refused (API Gateway answers with a `Forbidden` frame).
"""

from __future__ import annotations

import json
from typing import Any

from tools.local.intrinsics import UnsupportedTemplateError
from tools.local.wiring import Route, WebSocketApi

_PREFIX = "$request.body."
RESERVED = frozenset({"$connect", "$disconnect"})


def body_path(expression: str) -> list[str]:
    expression = expression.strip()
    if expression.startswith("${") and expression.endswith("}"):
        expression = "$" + expression[2:-1]
    if not expression.startswith(_PREFIX):
        raise UnsupportedTemplateError(f"route selection expression {expression!r}")
    return expression[len(_PREFIX) :].split(".")


def route_key(expression: str, data: str | bytes) -> str | None:
    if isinstance(data, bytes):
        return None
    try:
        value: Any = json.loads(data)
    except ValueError:
        return None
    for part in body_path(expression):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value if isinstance(value, str) else None


def select_route(api: WebSocketApi, data: str | bytes) -> Route | None:
    key = route_key(api.selection_expression, data)
    if key is not None and key not in RESERVED and key in api.routes:
        return api.routes[key]
    return api.routes.get("$default")
