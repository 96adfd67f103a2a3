"""FanoutFunction: posts the lanes of a large channel's fan-out, read from FanoutQueue."""

from typing import Any

from opensock.app.fanout_worker import deliver_records
from opensock.edge.invocations import lambda_entry
from opensock.wiring import Services


@lambda_entry
def lambda_handler(event: dict[str, Any], services: Services) -> dict[str, int]:
    report = deliver_records(event, services)
    return {"posted": report.posted, "gone": len(report.gone), "failed": report.failed}
