"""HttpApiFunction: Client HTTP API `connection/*` and admin `channels/*` (SERVER-API §3, §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.http_routes import handle_http_api
from opensock.edge.invocations import function_url

if TYPE_CHECKING:
    from opensock.wiring import App


@function_url
def lambda_handler(event: dict[str, Any], app: App, request_id: str | None) -> Any:
    return handle_http_api(event, app, request_id)
