"""PublishFunction: the same payload by direct Lambda invoke or through its Function URL.

Lambda invoke: refusals are the normal result `{"error": …}` (no retry by async invokers);
internal failures raise. HTTP: `POST /publish`, Bearer API key, `202 Accepted` (S §2.1, §2.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.domain.model import Origin
from opensock.domain.requests import ScheduleCancelRequest, ScheduleListRequest, parse_body
from opensock.edge.http import (
    HttpRequest,
    HttpResult,
    NotAllowedError,
    error_body,
    is_http_event,
    parse_http_event,
    run_http,
)
from opensock.errors import AppError, InvalidMessageError, NotFoundError
from opensock.jsoncodec import is_valid_unicode
from opensock.observability import count

if TYPE_CHECKING:  # the App is built on the first invocation (cold start)
    from opensock.wiring import App

LIST_SCHEDULES = "hotsock.listSchedules"
SCHEDULE_CONTROL = frozenset({LIST_SCHEDULES, "hotsock.cancelSchedule"})


def _http_publish(request: HttpRequest, app: App) -> HttpResult:
    if request.path != "publish":
        raise NotFoundError()
    if request.method == "OPTIONS":
        return HttpResult(204)
    if request.method != "POST":
        raise NotAllowedError("POST")
    app.api_keys.check(request.headers.get("authorization"))
    payload = request.json()
    if _is_schedule_control(payload):
        return HttpResult(200, schedule_control(payload, app))
    result = app.publishing.server_publish(payload, request.origin("server.http"))
    return HttpResult(202, result)


def _is_schedule_control(payload: Any) -> bool:
    event = payload.get("event") if isinstance(payload, dict) else None
    return isinstance(event, str) and event in SCHEDULE_CONTROL


def schedule_control(payload: dict[str, Any], app: App) -> dict[str, Any]:
    """`hotsock.listSchedules` / `hotsock.cancelSchedule` (extension, docs/extensions.md)."""
    if payload["event"] == LIST_SCHEDULES:
        return app.schedules.server_list(parse_body(ScheduleListRequest, payload).channel)
    request = parse_body(ScheduleCancelRequest, payload)
    return app.schedules.server_cancel(request.channel, request.id)


def handle_publish(event: Any, app: App, request_id: str | None) -> Any:
    if is_http_event(event):
        request = parse_http_event(event, request_id)
        return run_http(lambda request: _http_publish(request, app), request)
    try:
        if not is_valid_unicode(event):
            raise InvalidMessageError("payload holds a string that is not valid Unicode")
        if _is_schedule_control(event):
            return schedule_control(event, app)
        result = app.publishing.server_publish(
            event, Origin("server.lambda", request_id=request_id)
        )
    except AppError as err:
        if err.status >= 500:
            raise
        count("PublishRefused")
        return error_body(err)
    return result
