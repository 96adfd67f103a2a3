"""What one measured operation used, and what that costs (prices from `bench/prices.py`)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from bench import prices


@dataclass(frozen=True)
class Invocation:
    """One Lambda invocation: billed duration is the wall time rounded up to 1 ms."""

    function: str
    memory_mb: int
    wall_ms: float
    cpu_ms: float = 0.0

    @property
    def billed_ms(self) -> int:
        return max(1, math.ceil(self.wall_ms))

    @property
    def gb_seconds(self) -> float:
        return self.billed_ms / 1000 * self.memory_mb / 1024


@dataclass
class Usage:
    """AWS requests and billable units of one operation (or of any stretch of work)."""

    requests: Counter[str] = field(default_factory=Counter)
    """`service.Operation` → calls made by the code (SDK requests, not modelled ones)."""
    trace: list[str] = field(default_factory=list)
    """Each request in order, with the kind of item it touched (`GetItem conn/conn`)."""
    invocations: list[Invocation] = field(default_factory=list)
    rru: float = 0.0
    wru: float = 0.0
    gsi_wru: float = 0.0
    """Part of `wru` spent on index replicas."""
    messages_in: int = 0
    """API Gateway messages received from clients (32 KB units)."""
    messages_out: int = 0
    """API Gateway messages sent to clients: management-API posts and two-way replies."""
    posts: int = 0
    sqs_units: int = 0
    """Billed SQS requests (64 KB units), including the event source's receive and delete."""
    sns_units: int = 0
    eventbridge_units: int = 0
    scheduler_invocations: int = 0
    log_bytes: int = 0
    """What the functions wrote to stdout (CloudWatch Logs), plus Lambda's own lines."""
    aws_seconds: float = 0.0
    """Wall time spent inside AWS SDK calls (against moto)."""
    aws_cpu_seconds: float = 0.0
    """CPU time of the calling thread inside AWS SDK calls (signing, moto, parsing)."""

    @property
    def dynamodb_requests(self) -> int:
        return sum(n for name, n in self.requests.items() if name.startswith("dynamodb."))

    @property
    def lambda_ms(self) -> int:
        return sum(inv.billed_ms for inv in self.invocations)

    def add(self, other: Usage) -> None:
        self.requests.update(other.requests)
        self.trace.extend(other.trace)
        self.invocations.extend(other.invocations)
        for name in (
            "rru",
            "wru",
            "gsi_wru",
            "messages_in",
            "messages_out",
            "posts",
            "sqs_units",
            "sns_units",
            "eventbridge_units",
            "scheduler_invocations",
            "log_bytes",
            "aws_seconds",
            "aws_cpu_seconds",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Cost:
    """Dollars of one operation, by component."""

    api_gateway: float
    lambda_requests: float
    lambda_duration: float
    dynamodb: float
    queues_and_events: float
    logs: float = 0.0

    @property
    def total(self) -> float:
        return (
            self.api_gateway
            + self.lambda_requests
            + self.lambda_duration
            + self.dynamodb
            + self.queues_and_events
            + self.logs
        )

    @property
    def overhead(self) -> float:
        """Everything but API Gateway's message charge (the floor)."""
        return self.total - self.api_gateway


def cost_of(usage: Usage) -> Cost:
    return Cost(
        api_gateway=(usage.messages_in + usage.messages_out) * prices.APIGW_MESSAGE,
        lambda_requests=len(usage.invocations) * prices.LAMBDA_REQUEST,
        lambda_duration=sum(inv.gb_seconds for inv in usage.invocations)
        * prices.LAMBDA_GB_SECOND_ARM,
        dynamodb=usage.rru * prices.DYNAMODB_RRU + usage.wru * prices.DYNAMODB_WRU,
        queues_and_events=usage.sqs_units * prices.SQS_FIFO_REQUEST
        + usage.sns_units * prices.SNS_PUBLISH
        + usage.eventbridge_units * prices.EVENTBRIDGE_EVENT
        + usage.scheduler_invocations * prices.SCHEDULER_INVOCATION,
        logs=usage.log_bytes / 1024**3 * prices.CLOUDWATCH_LOGS_INGEST_GB,
    )


def per_million(dollars: float) -> float:
    return dollars * 1_000_000


def units_of(payload_bytes: int, unit_bytes: int) -> int:
    """Billed units of a payload metered in `unit_bytes` chunks (at least one)."""
    return max(1, math.ceil(payload_bytes / unit_bytes))
