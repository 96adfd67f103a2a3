"""The CloudFormation custom-resource edge: `@custom_resource`.

CloudFormation invokes the function with a request (`Create`, `Update`, `Delete`) and waits for
the answer at the request's presigned `ResponseURL` (an S3 PUT with an empty content type), not
for the invocation's result. The decorator always answers: an exception becomes `FAILED` with
the exception's type as the reason (never its text, which could quote a value), so a broken
handler fails the stack operation at once instead of holding it until the resource's
`ServiceTimeout`. Responses set `NoEcho`, and `Data` holds only what outputs may show.
"""

from __future__ import annotations

import functools
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import span_name
from opensock.edge.websocket import default_app
from opensock.observability import count, logger, with_metrics
from opensock.tracing import root_span

if TYPE_CHECKING:  # the App is built on the first invocation, not at import (cold start)
    from opensock.wiring import App

RESPONSE_TIMEOUT_SECONDS = 30
NOT_CREATED = "opensock-not-created"
"""Physical id of a resource whose Create failed (its Delete then has nothing to remove)."""


@dataclass(frozen=True)
class CustomResourceRequest:
    request_type: str
    properties: dict[str, Any]
    physical_id: str | None
    logical_id: str


@dataclass(frozen=True)
class CustomResourceResult:
    physical_id: str
    data: dict[str, str] = field(default_factory=dict)


Handler = Callable[[CustomResourceRequest, "App"], CustomResourceResult]


def parse_request(event: dict[str, Any]) -> CustomResourceRequest:
    properties = dict(event.get("ResourceProperties") or {})
    properties.pop("ServiceToken", None)
    properties.pop("ServiceTimeout", None)
    return CustomResourceRequest(
        request_type=str(event["RequestType"]),
        properties=properties,
        physical_id=event.get("PhysicalResourceId"),
        logical_id=str(event.get("LogicalResourceId", "")),
    )


def response_body(
    event: dict[str, Any], status: str, physical_id: str, reason: str = "", data: Any = None
) -> dict[str, Any]:
    return {
        "Status": status,
        "Reason": reason or status,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "NoEcho": True,
        "Data": data or {},
    }


def send_response(url: str, body: dict[str, Any]) -> None:
    """PUT the answer to the presigned URL (no content type: the URL was signed without one)."""
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_SECONDS) as answer:
        answer.read()


def _answer(handler: Handler, event: dict[str, Any], app: App) -> dict[str, Any]:
    request = parse_request(event)
    try:
        result = handler(request, app)
    except Exception as exc:
        logger.exception("custom resource failed", extra={"request_type": request.request_type})
        count("InvocationFailed")
        physical_id = request.physical_id or NOT_CREATED
        reason = f"{type(exc).__name__}: see the function's log"
        return response_body(event, "FAILED", physical_id, reason)
    return response_body(event, "SUCCESS", result.physical_id, data=result.data)


def custom_resource(handler: Handler) -> Callable[..., dict[str, Any]]:
    """The decorator of a custom resource's function: answers CloudFormation, whatever happens."""

    @functools.wraps(handler)
    @with_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: Any, app: App | None = None) -> Any:
        started = time.time()
        try:
            app = app or default_app()
        except Exception:  # settings that do not load: answer anyway
            logger.exception("custom resource cannot start")
            physical_id = event.get("PhysicalResourceId") or NOT_CREATED
            body = response_body(event, "FAILED", physical_id, "see the function's log")
        else:
            rate = app.settings.traces_in_logs_sample_rate
            with root_span(span_name(context), None, rate, started):
                body = _answer(handler, event, app)
        send_response(str(event["ResponseURL"]), body)
        return {"Status": body["Status"], "PhysicalResourceId": body["PhysicalResourceId"]}

    return lambda_handler
