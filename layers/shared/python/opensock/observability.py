"""Observability: the only Logger and Metrics instances (Powertools), shared by every function.

No Tracer: Powertools' Tracer needs the aws-xray-sdk extra (about 0.45 s of cold-start import);
see docs/decisions.md.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="opensock")
metrics = Metrics(namespace="Opensock", service="opensock")

__all__ = ["MetricUnit", "count", "logger", "metrics"]


def count(name: str, value: int = 1) -> None:
    """Record one business metric (one per handled outcome)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
