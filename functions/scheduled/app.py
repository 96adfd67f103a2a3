"""ScheduledFunction: EventBridge Scheduler target; runs the captured request by `kind`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import invocation

if TYPE_CHECKING:
    from opensock.wiring import App


@invocation
def lambda_handler(event: dict[str, Any], app: App) -> dict[str, bool]:
    return {"ran": app.scheduled.run(event)}
