"""Seeding big channels straight into moto's table (no requests, nothing counted).

Going through the SDK would cost ~2 ms per item in moto; the backend takes the typed items
directly. Items are built by the same functions the repositories use.
"""

from __future__ import annotations

from typing import Any

from bench.meter import _moto_table
from bench.world import World


def put_items(world: World, items: list[dict[str, Any]]) -> None:
    table = _moto_table(world.settings.table_name)
    for item in items:
        table.put_item(item)


def subscribers(
    world: World, channel: str, count: int, grants: dict[str, Any], prefix: str = "F"
) -> list[str]:
    """`count` live connections subscribed to `channel` (connection + subscription items), in
    the lanes a channel of that size settles in (`domain/lanes.py`: ≈ 250 per lane)."""
    from opensock.adapters.dynamodb.connection_table import _connection_item
    from opensock.adapters.dynamodb.subscription_table import subscription_item
    from opensock.domain.auth.permissions import Permissions
    from opensock.domain.lanes import choose_lane, lane_draw
    from opensock.domain.model import Connection, Subscription

    now = world.stack.clock()
    ids, items = [], []
    for n in range(count):
        cid = f"{prefix}{n:06d}AbCdEfGh="
        connection = Connection(
            connection_id=cid,
            uid=f"user-{n}",
            umd=None,
            grants=grants,
            secret="s" * 32,
            connected_at=now,
            expires_at=int(now) + 7200,
            source_ip="203.0.113.9",
            user_agent="bench",
        )
        layers = Permissions.from_entries(grants, {}).matching_entries(channel)
        subscription = Subscription(
            channel=channel,
            connection_id=cid,
            uid=connection.uid,
            umd=None,
            created_at=now,
            expires_at=connection.expires_at,
            connect_grants=layers["connect"],
            token_grants=layers["subscribe"],
            lane=choose_lane(count, lane_draw(channel, cid)),
        )
        items.append(_connection_item(connection))
        items.append(subscription_item(subscription))
        ids.append(cid)
    put_items(world, items)
    return ids


def storage_keys(world: World, channel: str, count: int, size: int = 40) -> None:
    """`count` live storage entries of ~`size` bytes of data on `channel`."""
    from opensock.adapters.dynamodb import keys
    from opensock.adapters.dynamodb.codec import to_item
    from opensock.adapters.dynamodb.storage_table import _attributes
    from opensock.domain.model import Member, Origin
    from opensock.domain.storage_model import StorageEntry

    now = world.stack.clock()
    items = []
    for n in range(count):
        entry = StorageEntry(
            channel=channel,
            key=f"key.{n:05d}",
            data={"value": "x" * size},
            writer=Member(None, None),
            expires_at=None,
            emit=False,
            origin=Origin(trigger="server.lambda"),
            revision=f"r{n}",
            version=1,
            updated_at=now,
        )
        values = {k: v for k, v in _attributes(entry).items() if v is not None}
        values.update(pk=keys.channel_pk(channel), sk=keys.storage_sk(entry.key), version=1)
        items.append(to_item(values))
    put_items(world, items)
