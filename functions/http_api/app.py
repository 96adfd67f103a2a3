"""HttpApiFunction: Client HTTP API `connection/*` and admin `channels/*` (SERVER-API §3, §4)."""

from typing import Any

from opensock.edge.http import function_url_entry
from opensock.edge.http_routes import handle_http_api
from opensock.wiring import Services


@function_url_entry
def lambda_handler(event: dict[str, Any], services: Services, request_id: str | None) -> Any:
    return handle_http_api(event, services, request_id)
