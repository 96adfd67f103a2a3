"""FanoutFunction: posts the lanes of a large channel's fan-out, read from FanoutQueue."""

from typing import Any

from opensock.entry import lambda_entry
from opensock.fanout.worker import deliver_records
from opensock.services import Services


@lambda_entry
def lambda_handler(event: dict[str, Any], services: Services) -> dict[str, int]:
    report = deliver_records(event, services)
    return {"posted": report.posted, "gone": len(report.gone), "failed": report.failed}
