"""PublishFunction: server publish by Lambda invoke or its Function URL (SERVER-API §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import function_url
from opensock.edge.publish_api import handle_publish

if TYPE_CHECKING:
    from opensock.wiring import App


@function_url
def lambda_handler(event: Any, app: App, request_id: str | None) -> Any:
    return handle_publish(event, app, request_id)
