"""HTTP actions: `connection/publishMessage` (S §4.4) and admin `GET /channels/{name}` (S §3.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.app.publishing import client_publish
from opensock.domain.names import check_channel, is_presence
from opensock.domain.presence import MemberState
from opensock.edge.http import HttpResult
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.edge.http_routes import AdminCall, ConnectionCall
    from opensock.wiring import Services


def publish_message(call: ConnectionCall, services: Services) -> HttpResult:
    result = client_publish(call.connection, call.body, call.origin, services, http=True)
    count("PublishAccepted")
    return HttpResult(202, result.to_json())


def member_list(states: list[MemberState]) -> list[dict[str, Any]]:
    ordered = sorted(states, key=lambda state: (state.joined_at, state.uid))
    return [state.member.as_json() for state in ordered if state.conns]


def channel_info(call: AdminCall, services: Services) -> HttpResult:
    name = check_channel(call.params["name"])
    body: dict[str, Any] = {
        "name": name,
        "subscriptionsCount": services.channel_meta.subscriptions_count(name),
    }
    if is_presence(name):
        body["members"] = member_list(services.presence.members(name))
    count("ChannelInfo")
    return HttpResult(200, body)
