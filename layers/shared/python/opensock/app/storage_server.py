"""Server-side storage writes through publish (SERVER-API §2.5): no permission checks.

`meta` is `{"uid":null,"umd":null}` (Q-STOR-2); `store` defaults to -1 (forever) and `0` is
refused; the payload's `emitPubSubEvent` gates the pub/sub event and is stored with the entry
for the later TTL-expiry event. A `scheduleExpression` needs no permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opensock.domain.model import Origin
from opensock.domain.storage_model import SERVER_WRITER, StorageWrite
from opensock.domain.storage_values import FOREVER, validate_store
from opensock.edge.storage_requests import SetRequest, parse_set
from opensock.errors import InvalidMessageError, InvalidStorageKeyError
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.wiring import Services

EVENT = "hotsock.channelStorageSet"


def _server_request(payload: Mapping[str, Any]) -> tuple[SetRequest, int, bool]:
    if payload.get("key") is None:
        raise InvalidStorageKeyError("key is required for hotsock.channelStorageSet")
    request = parse_set(payload)
    store = FOREVER if payload.get("store") is None else validate_store(payload["store"])
    emit = payload.get("emitPubSubEvent", False)
    if not isinstance(emit, bool):
        raise InvalidMessageError("emitPubSubEvent must be a boolean")
    return request, store, emit


def server_storage_set(
    payload: Mapping[str, Any], origin: Origin, services: Services
) -> dict[str, Any]:
    """Validate, then write (or schedule); returns the publish response body."""
    from opensock.app.storage_schedules import resolve_schedule, schedule_write

    request, store, emit = _server_request(payload)
    at = resolve_schedule(request.schedule, services.clock())
    write = StorageWrite(
        channel=request.channel,
        key=request.key,
        data=request.data,
        writer=SERVER_WRITER,
        store=store,
        emit=emit,
        origin=origin,
    )
    response: dict[str, Any] = {"channel": request.channel, "event": EVENT}
    if at is not None and request.schedule is not None:
        response["scheduleArn"] = schedule_write(write, at, request.schedule, services)
        return response
    outcome = services.storage.apply(write)
    count("ChannelStorageWritten" if outcome.changed else "ChannelStorageUnchanged")
    return response
