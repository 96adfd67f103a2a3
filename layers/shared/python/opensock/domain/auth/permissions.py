"""Permissions: what a connection may do on a channel, resolved from its token layers.

A resolver holds the connect token's `channels` entries and, for one subscription, the
subscribe token's. Every decision looks at the union of the matching entries of both layers
(Q-PERM-4), except `broadcast`, read from the connect layer only (§5.6). Nested directives
combine over channel keys × event/storage keys (§5.4); non-boolean ones follow Q-PERM-3. The
entries matching one channel can be stored with a subscription (`matching_entries`, plain JSON)
and turned back into an equivalent resolver (`from_entries`), e.g. to check `observe` at fan-out.
For a per-channel umd update, build the resolver from the umd token alone (`umdUpdate` is a
umd-scope directive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from opensock.domain.auth import rules
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.grants import ChannelGrant
from opensock.domain.auth.layers import GrantLayers, MatchingEntries

ChannelDirective = Literal["subscribe", "getInfo", "omitFromSubCount", "umdUpdate"]
MessageDirective = Literal["publish", "broadcast", "echo", "emitPubSubEvent"]
StorageDirective = Literal["observe", "get", "set", "emitPubSubEvent"]

_FIELDS: dict[str, str] = {
    "subscribe": "subscribe",
    "getInfo": "get_info",
    "omitFromSubCount": "omit_from_sub_count",
    "umdUpdate": "user_metadata_update",
    "publish": "publish",
    "broadcast": "broadcast",
    "echo": "echo",
    "emitPubSubEvent": "emit_pub_sub_event",
    "observe": "observe",
    "get": "get",
    "set": "set",
}


@dataclass(frozen=True)
class PublishGrant:
    """A client-publish decision with the gated directives applied (§5.6, §5.7)."""

    allowed: bool
    echo: bool = False
    emit_pub_sub_event: bool = False
    store: int = 0
    schedule_before: int | None = None


class Permissions:
    """Pure resolver over the connect layer and an optional subscribe layer."""

    def __init__(
        self,
        connect: Mapping[str, ChannelGrant],
        subscribe: Mapping[str, ChannelGrant] | None = None,
    ) -> None:
        self._layers = GrantLayers(connect, subscribe)

    @classmethod
    def from_claims(cls, connect: Claims, subscribe: Claims | None = None) -> Permissions:
        return cls(connect.channels, subscribe.channels if subscribe else None)

    @classmethod
    def from_entries(
        cls, connect: Mapping[str, Any], subscribe: Mapping[str, Any] | None = None
    ) -> Permissions:
        """Rebuild from stored `matching_entries` (`Permissions.from_entries(**entries)`)."""
        layers = GrantLayers.from_wire(connect, subscribe)
        return cls(layers.connect, layers.subscribe)

    def matching_entries(self, channel: str) -> MatchingEntries:
        return self._layers.wire_matching(channel)

    # --- channel directives ----------------------------------------------------------------
    def channel_flag(self, channel: str, directive: ChannelDirective) -> bool:
        field = _FIELDS[directive]
        return rules.resolve_flag(getattr(g, field) for _, g in self._layers.channels(channel))

    def can_subscribe(self, channel: str) -> bool:
        return self.channel_flag(channel, "subscribe")

    def history_start(self, channel: str) -> int | None:
        found = self._layers.channels(channel)
        return rules.earliest(
            [(e, g.history_start) for e, g in found if g.history_start is not None]
        )

    def auto_subscribe_channels(self) -> list[str]:
        """Connect-token exact keys with `autoSubscribe: true` not denied by `subscribe: false`."""
        return [key for key in self._layers.connect if self.can_auto_subscribe(key)]

    def can_auto_subscribe(self, channel: str) -> bool:
        grant = self._layers.exact_entry(self._layers.connect, channel)
        if grant is None or grant.auto_subscribe is not True:
            return False
        found = self._layers.channels(channel)
        return rules.tri_state(g.subscribe for _, g in found) is not False

    # --- aliases (§5.9, Q-PERM-7) -----------------------------------------------------------
    def alias_for(self, channel: str) -> str | None:
        """The channel's alias; the subscribe token's wins over the connect token's."""
        for layer in (self._layers.subscribe, self._layers.connect):
            grant = self._layers.exact_entry(layer, channel)
            if grant is not None and grant.alias is not None:
                return grant.alias
        return None

    def resolve_channel(self, name: str) -> tuple[str, str | None]:
        """(real channel, its alias) for a client-supplied name: exact keys, then aliases."""
        layers = (self._layers.subscribe, self._layers.connect)
        if any(self._layers.exact_entry(layer, name) is not None for layer in layers):
            return name, self.alias_for(name)
        for layer in layers:
            for key, grant in layer.items():
                if grant.alias == name:
                    return key, self.alias_for(key)
        return name, None

    # --- messages ---------------------------------------------------------------------------
    def message_flag(self, channel: str, event: str, directive: MessageDirective) -> bool:
        """Plain §5.4 resolution, not gated by publish (reactions read echo/emit this way)."""
        found = self._layers.messages(channel, event, connect_only=directive == "broadcast")
        return rules.resolve_flag(getattr(g, _FIELDS[directive]) for _, g in found)

    def can_publish(self, channel: str, event: str, *, subscribed: bool) -> bool:
        """The §5.6 matrix: explicit `publish: false` denies; connect-token broadcast allows."""
        publish = rules.tri_state(g.publish for _, g in self._layers.messages(channel, event))
        if publish is False:
            return False
        found = self._layers.messages(channel, event, connect_only=True)
        return rules.tri_state(g.broadcast for _, g in found) is True or (
            publish is True and subscribed
        )

    def publish_grant(self, channel: str, event: str, *, subscribed: bool) -> PublishGrant:
        if not self.can_publish(channel, event, subscribed=subscribed):
            return PublishGrant(allowed=False)
        return PublishGrant(
            allowed=True,
            echo=self.message_flag(channel, event, "echo"),
            emit_pub_sub_event=self.message_flag(channel, event, "emitPubSubEvent"),
            store=self.message_store(channel, event),
            schedule_before=self.message_schedule_before(channel, event),
        )

    def message_store(self, channel: str, event: str) -> int:
        """Ungated Q-PERM-3 `store` (default 0); the publish path uses `publish_grant`."""
        found = self._layers.messages(channel, event)
        store = rules.most_permissive_store([(e, g.store) for e, g in found if g.store is not None])
        return 0 if store is None else store

    def message_schedule_before(self, channel: str, event: str) -> int | None:
        """Ungated Q-PERM-3 `scheduleBefore`; the publish path uses `publish_grant`."""
        found = self._layers.messages(channel, event)
        return rules.latest(
            [(e, g.schedule_before) for e, g in found if g.schedule_before is not None]
        )

    def react_permission(self, channel: str, event: str) -> rules.ReactPermission:
        found = self._layers.messages(channel, event)
        return rules.react_permission([(e, g.react) for e, g in found if g.react is not None])

    def can_react(self, channel: str, event: str, reaction: str) -> bool:
        allowed = self.react_permission(channel, event)
        return allowed if isinstance(allowed, bool) else reaction in allowed

    # --- storage ----------------------------------------------------------------------------
    def storage_flag(self, channel: str, key: str, directive: StorageDirective) -> bool:
        """§5.4 resolution; `emitPubSubEvent` counts only when `set` resolves true (§5.7)."""
        if directive == "emitPubSubEvent" and not self.storage_flag(channel, key, "set"):
            return False
        found = self._layers.storage(channel, key)
        return rules.resolve_flag(getattr(g, _FIELDS[directive]) for _, g in found)

    def storage_store(self, channel: str, key: str) -> int | None:
        """TTL for this connection's writes: None unless `set` is allowed, else default -1."""
        if not self.storage_flag(channel, key, "set"):
            return None
        found = self._layers.storage(channel, key)
        store = rules.most_permissive_store([(e, g.store) for e, g in found if g.store is not None])
        return -1 if store is None else store

    def storage_schedule_before(self, channel: str, key: str) -> int | None:
        """Latest schedulable write instant: None unless `set` is allowed."""
        if not self.storage_flag(channel, key, "set"):
            return None
        found = self._layers.storage(channel, key)
        return rules.latest(
            [(e, g.schedule_before) for e, g in found if g.schedule_before is not None]
        )
