"""Storage over HTTP: Client HTTP API actions (SERVER-API §4.5–§4.7) and the admin listing (§3.2).

Bodies and checks are the WebSocket ones; responses carry the real channel name. The admin
listing needs no permission (API key checked by the router) and shows every live entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.app.storage import client_get, client_list, client_set
from opensock.app.storage_listing import list_entries
from opensock.app.storage_server import EVENT
from opensock.domain.names import check_channel
from opensock.domain.storage_values import validate_key
from opensock.edge.http import HttpResult
from opensock.edge.storage_requests import MAX_LIST_KEYS, parse_get, parse_list, parse_set
from opensock.errors import InvalidMessageError
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.edge.http_routes import AdminCall, ConnectionCall
    from opensock.wiring import Services


def channel_storage_get(call: ConnectionCall, services: Services) -> HttpResult:
    return HttpResult(200, client_get(parse_get(call.body), call.connection, services))


def channel_storage_set(call: ConnectionCall, services: Services) -> HttpResult:
    result = client_set(parse_set(call.body), call.connection, call.origin, services)
    body = {"channel": result.channel, "event": EVENT}
    if result.schedule_arn is not None:
        body["scheduleArn"] = result.schedule_arn
    return HttpResult(202, body)


def channel_storage_list(call: ConnectionCall, services: Services) -> HttpResult:
    return HttpResult(200, client_list(parse_list(call.body), call.connection, services))


def _admin_keys(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    keys = [key for key in raw.split(",") if key]
    if len(keys) > MAX_LIST_KEYS:
        raise InvalidMessageError("keys holds more than 100 keys")
    return tuple(validate_key(key) for key in keys)


def admin_channel_storage(call: AdminCall, services: Services) -> HttpResult:
    """`GET /channels/{name}/storage?after=…&keys=a,b`: ≤ 100 items ascending by key."""
    channel = check_channel(call.params.get("name"))
    keys = _admin_keys(call.request.query.get("keys"))
    after = call.request.query.get("after")
    items = list_entries(
        services.storage_entries, channel, services.clock(), keys=keys, after=after
    )
    count("ChannelStorageListed")
    return HttpResult(200, {"items": items})
