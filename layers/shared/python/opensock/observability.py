"""Observability: the only Logger and Metrics instances (Powertools), shared by every function.

No Tracer: Powertools' Tracer needs the aws-xray-sdk extra (about 0.45 s of cold-start import);
see docs/decisions.md.

Metrics are recorded and flushed under one lock (`with_metrics` replaces Powertools'
`log_metrics`): Powertools keeps one metric set per process, and the local stack (and the
race tests) run several handlers at once in one process, where an unlocked flush can meet a
set another thread has just emptied. In Lambda, one invocation per container, the lock is free.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

# Powertools' own variables, with our defaults where they are unset (tests, tools). Deployed,
# the service is the stack name: the metrics' `service` dimension tells installations apart.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "opensock"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Opensock"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# The SDK's own loggers log request and response bodies at DEBUG (API keys, frames): whatever
# the application level, they stay at WARNING, so DEBUG never prints a secret (S §6).
for _sdk in ("boto3", "botocore", "urllib3"):
    logging.getLogger(_sdk).setLevel(logging.WARNING)
_metrics_lock = threading.Lock()

__all__ = ["MetricUnit", "count", "flush_metrics", "logger", "metrics", "with_metrics"]

P = ParamSpec("P")
R = TypeVar("R")


def count(name: str, value: int = 1) -> None:
    """Record one business metric (one per handled outcome)."""
    with _metrics_lock:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Write the recorded metrics as one EMF line; nothing when none were recorded."""
    with _metrics_lock:
        if metrics.metric_set:
            metrics.flush_metrics()


def with_metrics(handler: Callable[P, R]) -> Callable[P, R]:
    """Flush the invocation's metrics when the handler returns or raises."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return handler(*args, **kwargs)
        finally:
            flush_metrics()

    return wrapper
