"""ScheduledFunction: EventBridge Scheduler target; runs the captured request by `kind`."""

from typing import Any

from opensock.app.scheduled import run_scheduled
from opensock.edge.invocations import lambda_entry
from opensock.wiring import Services


@lambda_entry
def lambda_handler(event: dict[str, Any], services: Services) -> dict[str, bool]:
    return {"ran": run_scheduled(event, services)}
