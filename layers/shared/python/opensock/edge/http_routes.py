"""HttpApiFunction's routes: the Client HTTP API (`POST /connection/<action>`, S §4) and the
admin API (`GET /channels/...`, S §3), as a static table of plain callables.

Checks run in the order route/method → credentials → body, and the first failure answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opensock.domain.model import Connection, Origin
from opensock.domain.names import check_channel
from opensock.domain.requests import (
    MAX_LIST_KEYS,
    ChannelInfoRequest,
    ListMessagesRequest,
    ListReactionsRequest,
    ScheduleCancelRequest,
    ScheduleListRequest,
    StorageGetRequest,
    StorageListRequest,
    StorageSetRequest,
    UserMetadataUpdateRequest,
    parse_body,
)
from opensock.domain.storage_values import validate_key
from opensock.edge.http import HttpRequest, HttpResult, NotAllowedError, parse_http_event, run_http
from opensock.errors import InvalidMessageError, NotFoundError

if TYPE_CHECKING:  # the App is built on the first invocation (cold start)
    from opensock.wiring import App


@dataclass(frozen=True)
class ConnectionCall:
    """An authenticated Client HTTP API call."""

    connection: Connection
    body: Any
    origin: Origin
    request: HttpRequest


@dataclass(frozen=True)
class AdminCall:
    params: dict[str, str]
    request: HttpRequest


def publish_message(call: ConnectionCall, app: App) -> HttpResult:
    result = app.publishing.publish(call.connection, call.body, call.origin)
    return HttpResult(202, result.to_json())


def channel_storage_get(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(StorageGetRequest, call.body)
    return HttpResult(200, app.storage.get(call.connection, request))


def channel_storage_set(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(StorageSetRequest, call.body)
    return HttpResult(202, app.storage.set(call.connection, request, call.origin).to_json())


def channel_storage_list(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(StorageListRequest, call.body)
    return HttpResult(200, app.storage.list(call.connection, request))


def list_messages(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(ListMessagesRequest, call.body)
    return HttpResult(200, app.history.list_messages(call.connection, request))


def list_reactions(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(ListReactionsRequest, call.body)
    return HttpResult(200, app.history.list_reactions(call.connection, request))


def get_channel_info(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(ChannelInfoRequest, call.body)
    return HttpResult(200, app.channels.info_for(call.connection, request))


def user_metadata_update(call: ConnectionCall, app: App) -> HttpResult:
    app.user_metadata.update(call.connection, parse_body(UserMetadataUpdateRequest, call.body))
    return HttpResult(200, {})


def channel_info(call: AdminCall, app: App) -> HttpResult:
    return HttpResult(200, app.channels.info(call.params["name"]))


def _admin_keys(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    keys = [key for key in raw.split(",") if key]
    if len(keys) > MAX_LIST_KEYS:
        raise InvalidMessageError("keys holds more than 100 keys")
    return tuple(validate_key(key) for key in keys)


def channel_storage(call: AdminCall, app: App) -> HttpResult:
    """`GET /channels/{name}/storage?after=…&keys=a,b`: ≤ 100 items ascending by key."""
    channel = check_channel(call.params.get("name"))
    keys = _admin_keys(call.request.query.get("keys"))
    after = call.request.query.get("after")
    return HttpResult(200, app.storage.list_all(channel, keys, after))


def list_schedules(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(ScheduleListRequest, call.body)
    return HttpResult(200, app.schedules.client_list(call.connection, request.channel))


def cancel_schedule(call: ConnectionCall, app: App) -> HttpResult:
    request = parse_body(ScheduleCancelRequest, call.body)
    reply = app.schedules.client_cancel(call.connection, request.channel, request.id)
    return HttpResult(200, reply)


CONNECTION_ACTIONS: dict[str, Callable[[ConnectionCall, App], HttpResult]] = {
    "publishMessage": publish_message,
    "channelStorageGet": channel_storage_get,
    "channelStorageSet": channel_storage_set,
    "channelStorageList": channel_storage_list,
    "getChannelInfo": get_channel_info,
    "umdUpdate": user_metadata_update,
    "listMessages": list_messages,
    "listReactions": list_reactions,
    "listSchedules": list_schedules,
    "cancelSchedule": cancel_schedule,
}

ADMIN_ROUTES: dict[str, Callable[[AdminCall, App], HttpResult]] = {
    "channels/{name}": channel_info,
    "channels/{name}/storage": channel_storage,
}


def _connection_action(action: str, request: HttpRequest, app: App) -> HttpResult:
    handler = CONNECTION_ACTIONS.get(action)
    if handler is None:
        raise NotFoundError()
    if request.method == "OPTIONS":
        return HttpResult(204)
    if request.method != "POST":
        raise NotAllowedError("POST")
    connection = app.connections.authenticate(
        request.query.get("connectionId", ""), request.query.get("connectionSecret", "")
    )
    origin = request.origin("client.http", connection.connection_id)
    return handler(ConnectionCall(connection, request.json(), origin, request), app)


def match_admin(
    segments: tuple[str, ...],
) -> tuple[Callable[[AdminCall, App], HttpResult], dict[str, str]] | None:
    for template, handler in ADMIN_ROUTES.items():
        parts = template.split("/")
        if len(parts) != len(segments):
            continue
        params = {p[1:-1]: s for p, s in zip(parts, segments, strict=True) if p.startswith("{")}
        if all(p.startswith("{") or p == s for p, s in zip(parts, segments, strict=True)):
            return handler, params
    return None


def _admin(request: HttpRequest, app: App) -> HttpResult:
    matched = match_admin(request.segments)
    if matched is None:
        raise NotFoundError()
    if request.method != "GET":
        raise NotAllowedError("GET")
    app.api_keys.check(request.headers.get("authorization"))
    handler, params = matched
    return handler(AdminCall(params, request), app)


def route(request: HttpRequest, app: App) -> HttpResult:
    segments = request.segments
    if len(segments) == 2 and segments[0] == "connection":
        return _connection_action(segments[1], request, app)
    if segments and segments[0] == "channels":
        return _admin(request, app)
    raise NotFoundError()


def handle_http_api(event: dict[str, Any], app: App, request_id: str | None) -> dict[str, Any]:
    return run_http(lambda request: route(request, app), parse_http_event(event, request_id))
