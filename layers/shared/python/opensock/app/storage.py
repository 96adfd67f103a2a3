"""Client storage operations (WebSocket and Client HTTP API): permission checks, then the work.

Every refusal raises before anything is written (PROTOCOL §11.2, §11.6): `set` for writes,
`scheduleBefore` for scheduled writes, `get` for reads. TTL and pub/sub come from the writer's
own `store` and `emitPubSubEvent` directives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opensock.app.storage_schedules import check_schedule_before, resolve_schedule, schedule_write
from opensock.domain import storage_frames as frames
from opensock.domain.auth.permissions import StorageDirective
from opensock.domain.frames import Frame
from opensock.domain.model import Connection, Origin
from opensock.domain.storage_access import ClientAccess, client_access
from opensock.domain.storage_model import Outcome, StorageWrite
from opensock.edge.storage_requests import GetRequest, ListRequest, SetRequest
from opensock.errors import StorageGetPermissionDeniedError, StorageSetPermissionDeniedError
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.adapters.dynamodb.client_reads import ClientReads
    from opensock.wiring import Services

MAX_PAGE = 100


@dataclass(frozen=True)
class SetResult:
    channel: str
    outcome: Outcome | None = None
    schedule_arn: str | None = None


def _access(
    channel: str,
    connection: Connection,
    services: Services,
    needs: tuple[str, StorageDirective] | None = None,
    reads: ClientReads | None = None,
) -> ClientAccess:
    subscriptions = reads.subscriptions(services.subscriptions) if reads else services.subscriptions
    return client_access(connection, channel, subscriptions, needs)


def client_set(
    request: SetRequest,
    connection: Connection,
    origin: Origin,
    services: Services,
    reads: ClientReads | None = None,
) -> SetResult:
    """`reads`: the connection's first reads, if the caller made them in one batch."""
    at = resolve_schedule(request.schedule, services.clock())  # a 400 comes before a 403
    access = _access(request.channel, connection, services, (request.key, "set"), reads)
    channel, key = access.channel, request.key
    if not access.can(key, "set"):
        raise StorageSetPermissionDeniedError(channel=request.channel)
    write = StorageWrite(
        channel=channel,
        key=key,
        data=request.data,
        writer=access.writer,
        store=access.permissions.storage_store(channel, key) or -1,
        emit=access.can(key, "emitPubSubEvent"),
        origin=origin,
    )
    if at is not None and request.schedule is not None:
        limit = access.permissions.storage_schedule_before(channel, key)
        check_schedule_before(at, limit, services.clock(), request.channel)
        return SetResult(
            channel, schedule_arn=schedule_write(write, at, request.schedule, services)
        )
    outcome = services.storage.apply(write)
    count("ChannelStorageWritten" if outcome.changed else "ChannelStorageUnchanged")
    return SetResult(channel, outcome=outcome)


def client_get(
    request: GetRequest,
    connection: Connection,
    services: Services,
    reads: ClientReads | None = None,
) -> Frame:
    access = _access(request.channel, connection, services, (request.key, "get"), reads)
    if not access.can(request.key, "get"):
        raise StorageGetPermissionDeniedError(channel=request.channel)
    read, entry = reads.entry_of(access.channel, request.key) if reads else (False, None)
    if not read:
        entry = services.storage_entries.get(access.channel, request.key, services.clock())
    count("ChannelStorageRead")
    return frames.data(access.channel, request.key, entry)


def client_list(request: ListRequest, connection: Connection, services: Services) -> dict[str, Any]:
    """`connection/channelStorageList`: entries the caller may `get`, ≤ 100 per page (Q-S4)."""
    from opensock.app.storage_listing import list_entries

    access = _access(request.channel, connection, services)
    items = list_entries(
        services.storage_entries,
        access.channel,
        services.clock(),
        keys=request.keys,
        after=request.after,
        visible=lambda key: access.can(key, "get"),
    )
    count("ChannelStorageListed")
    return {"items": items}
