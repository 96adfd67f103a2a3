"""Layers: the connect token's and one subscribe token's `channels` entries, and matching.

Each lookup returns `(exact, grant)` pairs: `exact` is true when every key on the way (the
channel key, and the event or storage key for nested directives) is an exact key, which is what
the Q-PERM-3 "exact key beats pattern keys" rule needs. The entries matching one channel can be
dumped in wire form and loaded back (`wire_matching` / `from_wire`), which round-trips through
JSON and gives the same decisions for that channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from pydantic import TypeAdapter

from opensock.domain.auth.grants import ChannelGrant, MessageGrant, StorageGrant, check_channel_keys
from opensock.domain.auth.patterns import is_exact, key_matches

_LAYER = TypeAdapter(dict[str, ChannelGrant])


class MatchingEntries(TypedDict):
    """Wire-form entries (key → directives) of each layer that match one channel."""

    connect: dict[str, dict[str, Any]]
    subscribe: dict[str, dict[str, Any]]


class GrantLayers:
    def __init__(
        self,
        connect: Mapping[str, ChannelGrant],
        subscribe: Mapping[str, ChannelGrant] | None = None,
    ) -> None:
        self.connect = dict(connect)
        self.subscribe = dict(subscribe or {})

    @classmethod
    def from_wire(
        cls, connect: Mapping[str, Any], subscribe: Mapping[str, Any] | None = None
    ) -> GrantLayers:
        """Load wire-form entries, validating them exactly as token claims are validated."""
        layers = [_LAYER.validate_python(dict(layer or {})) for layer in (connect, subscribe)]
        for layer in layers:
            check_channel_keys(layer)
        return cls(*layers)

    def wire_matching(self, channel: str) -> MatchingEntries:
        return {
            "connect": _wire(self.connect, channel),
            "subscribe": _wire(self.subscribe, channel),
        }

    def exact_entry(self, layer: Mapping[str, ChannelGrant], channel: str) -> ChannelGrant | None:
        return layer.get(channel) if is_exact(channel) else None

    def channels(
        self, channel: str, *, connect_only: bool = False
    ) -> list[tuple[bool, ChannelGrant]]:
        layers = (self.connect,) if connect_only else (self.connect, self.subscribe)
        return [
            (is_exact(key), grant)
            for layer in layers
            for key, grant in layer.items()
            if key_matches(key, channel)
        ]

    def messages(
        self, channel: str, event: str, *, connect_only: bool = False
    ) -> list[tuple[bool, MessageGrant]]:
        return [
            (exact and is_exact(key), grant)
            for exact, entry in self.channels(channel, connect_only=connect_only)
            for key, grant in entry.messages.items()
            if key_matches(key, event)
        ]

    def storage(self, channel: str, storage_key: str) -> list[tuple[bool, StorageGrant]]:
        return [
            (exact and is_exact(key), grant)
            for exact, entry in self.channels(channel)
            for key, grant in entry.storage.items()
            if key_matches(key, storage_key)
        ]


def _wire(layer: Mapping[str, ChannelGrant], channel: str) -> dict[str, dict[str, Any]]:
    return {key: grant.wire() for key, grant in layer.items() if key_matches(key, channel)}
