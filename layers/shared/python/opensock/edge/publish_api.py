"""PublishFunction: the same payload by direct Lambda invoke or through its Function URL.

Lambda invoke: refusals are the normal result `{"error": …}` (no retry by async invokers);
internal failures raise. HTTP: `POST /publish`, Bearer API key, `202 Accepted` (S §2.1, §2.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.domain.model import Origin
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

if TYPE_CHECKING:
    from opensock.wiring import App


def _http_publish(request: HttpRequest, app: App) -> HttpResult:
    if request.path != "publish":
        raise NotFoundError()
    if request.method == "OPTIONS":
        return HttpResult(204)
    if request.method != "POST":
        raise NotAllowedError("POST")
    app.api_keys.check(request.headers.get("authorization"))
    result = app.publishing.server_publish(request.json(), request.origin("server.http"))
    count("PublishAccepted")
    return HttpResult(202, result)


def handle_publish(event: Any, app: App, request_id: str | None) -> Any:
    if is_http_event(event):
        request = parse_http_event(event, request_id)
        return run_http(lambda request: _http_publish(request, app), request)
    try:
        if not is_valid_unicode(event):
            raise InvalidMessageError("payload holds a string that is not valid Unicode")
        result = app.publishing.server_publish(
            event, Origin("server.lambda", request_id=request_id)
        )
    except AppError as err:
        if err.status >= 500:
            raise
        count("PublishRefused")
        return error_body(err)
    count("PublishAccepted")
    return result
