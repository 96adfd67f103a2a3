"""One-time EventBridge Scheduler schedules (the `Scheduler` port).

A schedule is named by a new ULID in the installation's group, runs ScheduledFunction with the
captured payload once and then deletes itself (`ActionAfterCompletion: DELETE`). The payload
also carries the trace context (`traceparent`), so the run joins the scheduling request's trace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opensock.domain.schedule import at_expression
from opensock.jsoncodec import dumps
from opensock.tracing import with_trace_context


class EventBridgeScheduler:
    def __init__(self, group_name: str, role_arn: str, target_arn: str, client: Any = None) -> None:
        self._group = group_name
        self._role = role_arn
        self._target = target_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("scheduler")
        return self._client

    def schedule(self, at: datetime, timezone: str, payload: dict[str, Any]) -> str:
        from ulid import ULID

        response = self.client.create_schedule(
            Name=str(ULID()),
            GroupName=self._group,
            ScheduleExpression=at_expression(at),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": self._target,
                "RoleArn": self._role,
                "Input": dumps(with_trace_context(payload)),
            },
        )
        return str(response["ScheduleArn"])

    def cancel_schedule(self, arn: str) -> bool:
        """Delete the schedule; False when it is gone already (fired and deleted itself)."""
        from botocore.exceptions import ClientError

        try:
            self.client.delete_schedule(Name=arn.rsplit("/", 1)[-1], GroupName=self._group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise
        return True
