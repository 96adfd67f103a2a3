"""PublishFunction: server publish by Lambda invoke or its Function URL (SERVER-API §2)."""

from typing import Any

from opensock.edge.http import function_url_entry
from opensock.edge.publish_api import handle_publish
from opensock.wiring import Services


@function_url_entry
def lambda_handler(event: Any, services: Services, request_id: str | None) -> Any:
    return handle_publish(event, services, request_id)
