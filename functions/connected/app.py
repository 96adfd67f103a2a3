"""ConnectedFunction: posts `hotsock.connected` once API Gateway has opened the socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import invocation

if TYPE_CHECKING:
    from opensock.wiring import App


@invocation
def lambda_handler(event: dict[str, Any], app: App) -> dict[str, bool]:
    return {"announced": app.connections.announce(event)}
