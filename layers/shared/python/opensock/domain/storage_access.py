"""Who is asking: a client's permissions and writer identity for one storage channel.

The channel a client names may be an alias (Q-PERM-6). Permissions are the connect token's
entries plus, when the connection is subscribed to the channel, the subscribe token's entries
attached to that subscription (PROTOCOL §5.8); the writer's `{uid, umd}` is the subscription's
effective identity when subscribed, else the connection's (Q-STOR-6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opensock.domain.auth.permissions import Permissions, StorageDirective
from opensock.domain.model import Connection, Member, Subscription


class SubscriptionLookup(Protocol):
    def get(self, channel: str, connection_id: str) -> Subscription | None: ...

    def find_by_alias(self, connection_id: str, alias: str) -> Subscription | None: ...


@dataclass(frozen=True)
class ClientAccess:
    channel: str
    """The real channel name."""
    permissions: Permissions
    writer: Member

    def can(self, key: str, directive: StorageDirective) -> bool:
        return self.permissions.storage_flag(self.channel, key, directive)


def merged_layer(entries: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Stored token entries (one mapping, or a sequence of them) as one wire-form layer."""
    if isinstance(entries, Mapping):
        return dict(entries)
    merged: dict[str, Any] = {}
    for entry in entries:
        merged.update(entry)
    return merged


def client_access(
    connection: Connection,
    requested: str,
    subscriptions: SubscriptionLookup,
    needs: tuple[str, StorageDirective] | None = None,
) -> ClientAccess:
    """Access for `requested`; `needs` = (key, directive) the caller is about to check."""
    connect_only = Permissions.from_entries(connection.grants)
    channel, _alias = connect_only.resolve_channel(requested)
    subscription = subscriptions.get(channel, connection.connection_id)
    if subscription is None and channel == requested and _denied(connect_only, channel, needs):
        # Maybe a subscribe-token alias: one GSI query, paid only on the way to a refusal.
        subscription = subscriptions.find_by_alias(connection.connection_id, requested)
    if subscription is None:
        return ClientAccess(channel, connect_only, connection.identity)
    permissions = Permissions.from_entries(
        connection.grants, merged_layer(subscription.token_grants)
    )
    return ClientAccess(subscription.channel, permissions, subscription.identity)


def _denied(
    permissions: Permissions, channel: str, needs: tuple[str, StorageDirective] | None
) -> bool:
    return needs is not None and not permissions.storage_flag(channel, *needs)
