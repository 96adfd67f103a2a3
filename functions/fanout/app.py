"""FanoutFunction: posts the lanes of a large channel's fan-out, read from FanoutQueue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import invocation

if TYPE_CHECKING:
    from opensock.wiring import App


@invocation
def lambda_handler(event: dict[str, Any], app: App) -> dict[str, Any]:
    return app.lanes.deliver_records(event)
