"""Channel information without subscribing: subscription count and presence members.

Serves the admin `GET /channels/{name}` (SERVER-API §3.1).
"""

from __future__ import annotations

from typing import Any

from opensock.domain.names import check_channel, is_presence
from opensock.domain.presence import MemberState
from opensock.observability import count
from opensock.ports import ChannelMetaRepository, MemberRepository


def member_list(states: list[MemberState]) -> list[dict[str, Any]]:
    ordered = sorted(states, key=lambda state: (state.joined_at, state.uid))
    return [state.member.as_json() for state in ordered if state.conns]


class Channels:
    def __init__(self, channel_meta: ChannelMetaRepository, members: MemberRepository) -> None:
        self._channel_meta = channel_meta
        self._members = members

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
