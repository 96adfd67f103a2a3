"""FanoutFunction: post each SQS lane of a large fan-out (records of one FIFO group in order)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.app.fanout import FanoutReport
from opensock.domain.fanout_jobs import FanoutBatch
from opensock.jsoncodec import loads
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.wiring import Services


def deliver_records(event: dict[str, Any], services: Services) -> FanoutReport:
    total = FanoutReport()
    for record in event.get("Records", []):
        report = services.fanout.deliver_batch(FanoutBatch.from_json(loads(record["body"])))
        total.recipients += report.recipients
        total.posted += report.posted
        total.failed += report.failed
        total.pruned += report.pruned
        total.gone.extend(report.gone)
        total.batches += 1
    count("FanoutDelivered", total.posted)
    if total.failed:
        count("FanoutFailed", total.failed)
    return total
