"""Which AWS operations each function really calls, recorded during a test run.

`make iam-record` runs the integration tests (each handler on moto) and the local-stack tests
(every function through its real adapters: management API, Lambda invoke, SNS, EventBridge,
Scheduler, SQS, SSM) with `tests/support/iam_recording.py`, which patches botocore's
`BaseClient._make_api_call` and attributes each call to the function whose handler is running
(`CURRENT_FUNCTION`: set by the recording plugin around `functions/<dir>/app.py` handlers and by
the local stack's invoker). The IAM actions those calls need (`actions`) are merged into
`tools/deploy_check/iam_calls.json`, which `make deploy-check` compares with the policies.

    python -m tools.iam_calls merge <recording dir> <fixture>
"""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from pathlib import Path
from typing import Any

CURRENT_FUNCTION: ContextVar[str | None] = ContextVar("opensock_current_function", default=None)
"""The `functions/<dir>` whose handler is running in this context (None: not a handler)."""

SERVICE_PREFIX = {"apigatewaymanagementapi": "execute-api"}
RENAMED = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "InvokeAsync"): "lambda:InvokeFunction",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sns", "PublishBatch"): "sns:Publish",
}
_TRANSACT_ITEM = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
IMPLIED = {"scheduler:CreateSchedule": {"iam:PassRole"}}
"""Actions a call also needs on another resource (the schedule's role is passed to Scheduler)."""


def actions(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    """The IAM actions one API call is authorised by."""
    if service == "apigatewaymanagementapi":
        return {"execute-api:ManageConnections"}
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        return {_TRANSACT_ITEM[kind] for item in params.get("TransactItems", []) for kind in item}
    action = RENAMED.get(
        (service, operation), f"{SERVICE_PREFIX.get(service, service)}:{operation}"
    )
    return {action} | IMPLIED.get(action, set())


def merge(recordings: Path, fixture: Path) -> dict[str, list[str]]:
    merged: dict[str, set[str]] = {}
    for part in sorted(recordings.glob("*.json")):
        for function, recorded in json.loads(part.read_text(encoding="utf-8")).items():
            merged.setdefault(function, set()).update(recorded)
    result = {function: sorted(merged[function]) for function in sorted(merged)}
    fixture.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "merge":
        raise SystemExit(__doc__)
    for function, recorded in merge(Path(sys.argv[2]), Path(sys.argv[3])).items():
        print(f"{function}: {', '.join(recorded) or '(no AWS call)'}")
