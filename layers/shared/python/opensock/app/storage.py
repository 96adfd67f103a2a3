"""Channel storage (PROTOCOL §11): client reads and writes, server and scheduled writes,
listings and the subscribe snapshot (TTL expiry: `app/storage_expiry.py`).

Client operations check permissions before anything is written (§11.2, §11.6): `set` for
writes, `scheduleBefore` for scheduled writes, `get` for reads; TTL and pub/sub come from the
writer's own `store` and `emitPubSubEvent` directives. Server writes (SERVER-API §2.5) need no
permission: `meta` is `{"uid":null,"umd":null}` (Q-STOR-2), `store` defaults to -1 and `0` is
refused. A scheduled write is captured whole when accepted and applied at fire time without
re-checks (§14.3, Q-SCHED-2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opensock.app.storage_listing import list_entries, storage_snapshot_frames
from opensock.app.storage_writes import StorageWriter
from opensock.clock import Clock
from opensock.domain import storage_frames as frames
from opensock.domain.auth.permissions import Permissions, StorageDirective
from opensock.domain.frames import Frame
from opensock.domain.messages import DEDUP_WINDOW_SECONDS, sender_origin
from opensock.domain.model import Connection, Origin, Subscription
from opensock.domain.requests import (
    StorageGetRequest,
    StorageListRequest,
    StorageSetRequest,
    parse_body,
)
from opensock.domain.schedule import check_schedule_before, parse_at
from opensock.domain.storage_access import ClientAccess, SubscriptionLookup, client_access
from opensock.domain.storage_model import (
    SERVER_WRITER,
    Increment,
    Outcome,
    StorageWrite,
    write_from_json,
    write_to_json,
)
from opensock.domain.storage_values import FOREVER, validate_store
from opensock.errors import (
    InvalidMessageError,
    InvalidStorageKeyError,
    StorageConditionFailedError,
    StorageGetPermissionDeniedError,
    StorageSetPermissionDeniedError,
)
from opensock.observability import count, logger
from opensock.ports import (
    ClientReader,
    ConnectionGateway,
    DedupRepository,
    Scheduler,
    StorageRepository,
    SubscriptionRepository,
)

SET_EVENT = "hotsock.channelStorageSet"
SCHEDULED_KIND = "storageSet"


@dataclass(frozen=True)
class SetResult:
    channel: str
    outcome: Outcome | None = None
    schedule_arn: str | None = None
    extended: bool = False
    """The write used an extension: the body also reports the entry's `version` (and the
    counter's new `data`)."""

    def to_json(self) -> dict[str, Any]:
        """The HTTP and server-publish response body."""
        body: dict[str, Any] = {"channel": self.channel, "event": SET_EVENT}
        if self.schedule_arn is not None:
            body["scheduleArn"] = self.schedule_arn
        elif self.extended and self.outcome is not None:
            current = self.outcome.current
            body["version"] = 0 if current is None else current.version
            if current is not None and current.counter:
                body["data"] = current.data
        return body


class ChannelStorage:
    def __init__(
        self,
        entries: StorageRepository,
        writer: StorageWriter,
        dedup: DedupRepository,
        subscriptions: SubscriptionRepository,
        reader: ClientReader,
        scheduler: Scheduler,
        gateway: ConnectionGateway,
        clock: Clock,
    ) -> None:
        self._entries = entries
        self._writer = writer
        self._dedup = dedup
        self._subscriptions = subscriptions
        self._reader = reader
        self._scheduler = scheduler
        self._gateway = gateway
        self._clock = clock

    # --- clients ------------------------------------------------------------------------------
    def set_from_socket(
        self, connection_id: str, request: StorageSetRequest, origin: Origin
    ) -> SetResult:
        """`hotsock.channelStorageSet`: connection and subscription in one batch read."""
        reads = self._reader.read(connection_id, request.channel)
        if reads.connection is None:
            raise StorageSetPermissionDeniedError("connection is not open", channel=request.channel)
        origin = sender_origin(reads.connection, origin)
        lookup = reads.subscriptions(self._subscriptions)
        return self._client_set(request, reads.connection, origin, lookup)

    def get_from_socket(self, connection_id: str, request: StorageGetRequest) -> Frame:
        """`hotsock.channelStorageGet`: connection, subscription and entry in one batch read."""
        reads = self._reader.read(connection_id, request.channel, request.key)
        if reads.connection is None:
            raise StorageGetPermissionDeniedError("connection is not open", channel=request.channel)
        lookup = reads.subscriptions(self._subscriptions)
        access = self._access(request.channel, reads.connection, lookup, (request.key, "get"))
        if not access.can(request.key, "get"):
            raise StorageGetPermissionDeniedError(channel=request.channel)
        read, entry = reads.entry_of(access.channel, request.key)
        if not read:
            entry = self._entries.get(access.channel, request.key, self._clock())
        count("ChannelStorageRead")
        return frames.data(access.channel, request.key, entry, versioned=bool(request.version))

    def set(self, connection: Connection, request: StorageSetRequest, origin: Origin) -> SetResult:
        """`connection/channelStorageSet` (S §4.6)."""
        return self._client_set(request, connection, origin, self._subscriptions)

    def get(self, connection: Connection, request: StorageGetRequest) -> Frame:
        """`connection/channelStorageGet` (S §4.5)."""
        access = self._access(
            request.channel, connection, self._subscriptions, (request.key, "get")
        )
        if not access.can(request.key, "get"):
            raise StorageGetPermissionDeniedError(channel=request.channel)
        entry = self._entries.get(access.channel, request.key, self._clock())
        count("ChannelStorageRead")
        return frames.data(access.channel, request.key, entry, versioned=bool(request.version))

    def list(self, connection: Connection, request: StorageListRequest) -> dict[str, Any]:
        """`connection/channelStorageList`: entries the caller may `get`, ≤ 100 per page."""
        access = self._access(request.channel, connection, self._subscriptions)
        items = list_entries(
            self._entries,
            access.channel,
            self._clock(),
            keys=request.keys,
            after=request.after,
            visible=lambda key: access.can(key, "get"),
        )
        count("ChannelStorageListed")
        return {"items": items}

    def post_snapshot(self, subscription: Subscription) -> int:
        """After `hotsock.subscribed`: every entry the new subscriber may observe (§11.4)."""
        grants = Permissions.from_entries(subscription.connect_grants, subscription.token_grants)
        channel = subscription.channel
        snapshot = storage_snapshot_frames(self._entries, channel, grants, self._clock())
        for frame in snapshot:
            self._gateway.post(subscription.connection_id, frame)
        return len(snapshot)

    # --- the server ---------------------------------------------------------------------------
    def server_set(self, payload: Mapping[str, Any], origin: Origin) -> dict[str, Any]:
        """A server publish of `hotsock.channelStorageSet`; returns the publish response body."""
        if payload.get("key") is None:
            raise InvalidStorageKeyError("key is required for hotsock.channelStorageSet")
        request = parse_body(StorageSetRequest, payload)
        store = FOREVER if payload.get("store") is None else validate_store(payload["store"])
        emit = payload.get("emitPubSubEvent", False)
        if not isinstance(emit, bool):
            raise InvalidMessageError("emitPubSubEvent must be a boolean")
        dedup = payload.get("deduplicationId")
        if dedup is not None and not isinstance(dedup, str):
            raise InvalidMessageError("deduplicationId must be a string")
        write = StorageWrite(
            channel=request.channel,
            key=request.key,
            data=request.data,
            writer=SERVER_WRITER,
            store=store,
            emit=emit,
            origin=origin,
            expected_version=request.expected_version,
            increment=_increment(request),
            deduplication_id=dedup or None,
        )
        at = self._fire_time(request)
        return self._write(write, at, request.schedule_expression_timezone).to_json()

    def list_all(
        self, channel: str, keys: Sequence[str] | None, after: str | None
    ) -> dict[str, Any]:
        """Admin `GET /channels/{name}/storage`: every live entry, ≤ 100 ascending by key."""
        items = list_entries(self._entries, channel, self._clock(), keys=keys, after=after)
        count("ChannelStorageListed")
        return {"items": items}

    def run_scheduled(self, payload: Mapping[str, Any]) -> None:
        """ScheduledFunction, kind `storageSet`: the captured write, applied as is."""
        write = write_from_json(payload["request"], payload.get("origin") or {})
        try:
            self._apply(write)
        except StorageConditionFailedError as err:  # nobody to answer: the write is dropped
            logger.info("scheduled storage write refused", extra={"code": err.code})

    # --- shared -------------------------------------------------------------------------------
    def _client_set(
        self,
        request: StorageSetRequest,
        connection: Connection,
        origin: Origin,
        lookup: SubscriptionLookup,
    ) -> SetResult:
        at = self._fire_time(request)  # a 400 comes before a 403
        access = self._access(request.channel, connection, lookup, (request.key, "set"))
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
            expected_version=request.expected_version,
            increment=_increment(request),
        )
        if at is not None:
            limit = access.permissions.storage_schedule_before(channel, key)
            check_schedule_before(at, limit, self._clock(), request.channel)
        try:
            return self._write(write, at, request.schedule_expression_timezone)
        except StorageConditionFailedError as err:
            raise (err if access.can(key, "get") else err.hiding_value()) from None

    def _write(self, write: StorageWrite, at: datetime | None, timezone: str | None) -> SetResult:
        extended = write.expected_version is not None or write.increment is not None
        if at is None:
            return SetResult(write.channel, outcome=self._apply(write), extended=extended)
        payload = {
            "kind": SCHEDULED_KIND,
            "request": write_to_json(write),
            "origin": write.origin.to_json(),
        }
        arn = self._scheduler.schedule(at, timezone or "UTC", payload)
        count("ChannelStorageScheduled")
        return SetResult(write.channel, schedule_arn=arn)

    def _apply(self, write: StorageWrite) -> Outcome:
        """Write now (or at fire time); a repeated `deduplicationId` is dropped (S §2.5) and a
        write that raises releases its claim, so the invoker's retry is applied."""
        dedup = write.deduplication_id
        if dedup and not self._dedup.claim(dedup, DEDUP_WINDOW_SECONDS):
            count("ChannelStorageDeduplicated")
            return Outcome(changed=False)
        try:
            outcome = self._writer.apply(write)
        except Exception as err:
            if dedup:
                self._dedup.release(dedup)
            if isinstance(err, StorageConditionFailedError):
                count("ChannelStorageConditionFailed")
            raise
        count("ChannelStorageWritten" if outcome.changed else "ChannelStorageUnchanged")
        return outcome

    def _fire_time(self, request: StorageSetRequest) -> datetime | None:
        if request.schedule_expression is None:
            return None
        tz = request.schedule_expression_timezone
        return parse_at(request.schedule_expression, tz, self._clock())

    def _access(
        self,
        channel: str,
        connection: Connection,
        lookup: SubscriptionLookup,
        needs: tuple[str, StorageDirective] | None = None,
    ) -> ClientAccess:
        return client_access(connection, channel, lookup, needs)


def _increment(request: StorageSetRequest) -> Increment | None:
    if request.increment is None:
        return None
    return Increment(request.increment, request.floor, request.ceiling)
