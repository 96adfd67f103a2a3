"""A span for every AWS call the adapters make (`aws <service>.<Operation>`), from botocore's
`before-call` / `after-call` / `after-call-error` events on boto3's default session, where every
adapter makes its clients. Outside a sampled trace the handlers do nothing but a lookup.
"""

from __future__ import annotations

from typing import Any

from opensock.tracing import end_span, start_span

_KEY = "opensock_span"


def _before(model: Any, context: dict[str, Any], **_: Any) -> None:
    context[_KEY] = start_span(f"aws {model.service_model.service_name}.{model.name}")


def _after(http_response: Any, context: dict[str, Any], **_: Any) -> None:
    status = "error" if getattr(http_response, "status_code", 200) >= 300 else "ok"
    end_span(context.pop(_KEY, None), status)


def _error(context: dict[str, Any], **_: Any) -> None:
    end_span(context.pop(_KEY, None), "error")


def instrument_aws_calls() -> None:
    """Register the span handlers on boto3's default session (once per session)."""
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    if getattr(session, "opensock_spans", False):
        return
    events = session.events
    events.register("before-call", _before, unique_id="opensock-span-before")
    events.register("after-call", _after, unique_id="opensock-span-after")
    events.register("after-call-error", _error, unique_id="opensock-span-error")
    session.opensock_spans = True
