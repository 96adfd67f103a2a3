"""Channel information without subscribing: subscription count and presence members.

Serves the admin `GET /channels/{name}` (SERVER-API §3.1) and the Client HTTP API's
`connection/getChannelInfo` (§4.8, F64), which needs the `getInfo` directive: the connect
token's entries, plus the subscribe token's when the connection is subscribed to the channel.
"""

from __future__ import annotations

from typing import Any

from opensock.domain.model import Connection
from opensock.domain.names import check_channel, is_presence
from opensock.domain.presence import MemberState
from opensock.domain.requests import ChannelInfoRequest
from opensock.domain.storage_access import client_access
from opensock.errors import GetInfoPermissionDeniedError
from opensock.observability import count
from opensock.ports import ChannelMetaRepository, MemberRepository, SubscriptionRepository


def member_list(states: list[MemberState]) -> list[dict[str, Any]]:
    ordered = sorted(states, key=lambda state: (state.joined_at, state.uid))
    return [state.member.as_json() for state in ordered if state.conns or state.lingering]


class Channels:
    def __init__(
        self,
        channel_meta: ChannelMetaRepository,
        members: MemberRepository,
        subscriptions: SubscriptionRepository | None = None,
    ) -> None:
        self._channel_meta = channel_meta
        self._members = members
        self._subscriptions = subscriptions

    def info(self, name: str) -> dict[str, Any]:
        name = check_channel(name)
        body: dict[str, Any] = {
            "name": name,
            "subscriptionsCount": self._channel_meta.subscriptions_count(name),
        }
        if is_presence(name):
            body["members"] = member_list(self._members.members(name))
        count("ChannelInfo")
        return body

    def info_for(self, connection: Connection, request: ChannelInfoRequest) -> dict[str, Any]:
        """`connection/getChannelInfo`: `{"channel", "subscriptionsCount"[, "members"]}`."""
        assert self._subscriptions is not None
        access = client_access(connection, request.channel, self._subscriptions)
        if not access.permissions.channel_flag(access.channel, "getInfo"):
            raise GetInfoPermissionDeniedError(channel=request.channel)
        info = self.info(access.channel)
        return {"channel": info.pop("name"), **info}
