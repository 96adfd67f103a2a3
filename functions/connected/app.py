"""ConnectedFunction: posts `hotsock.connected` once API Gateway has opened the socket."""

from typing import Any

from opensock.app.connections import announce_connection
from opensock.edge.invocations import lambda_entry
from opensock.wiring import Services


@lambda_entry
def lambda_handler(event: dict[str, Any], services: Services) -> dict[str, bool]:
    return {"announced": announce_connection(event, services)}
