"""Asynchronous Lambda invocations (the follow-up that sends `hotsock.connected`), with the
caller's trace context in the payload (`traceparent`)."""

from __future__ import annotations

from typing import Any

from opensock.jsoncodec import dumps
from opensock.tracing import with_trace_context


class LambdaInvoker:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def invoke_async(self, function_name: str, payload: dict[str, Any]) -> None:
        if self._client is None:
            import boto3

            self._client = boto3.client("lambda")
        self._client.invoke(
            FunctionName=function_name,
            InvocationType="Event",
            Payload=dumps(with_trace_context(payload)),
        )
