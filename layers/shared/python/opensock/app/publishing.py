"""Publishing: client messages (WebSocket and HTTP, §7.3, §13) and server messages (S §2).

Checks run before anything is accepted: names and sizes, then (clients) the §5.6
publish/broadcast matrix and `scheduleBefore`. A scheduled publish is captured as an
`Outgoing` in a one-time schedule; otherwise it is delivered now. At fire time (§14.3) the
captured message is delivered without re-checks. EventBridge Scheduler and asynchronous Lambda
invocations deliver at least once, so each schedule carries a `scheduleId`; its first firing
claims it, a repeat is dropped, and a firing that fails releases its claim, so the retry still
delivers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from opensock.app.fanout import Fanout, FanoutReport
from opensock.app.reactions import Reactions
from opensock.app.storage import ChannelStorage
from opensock.app.subscriptions import permissions_for, target_subscription
from opensock.clock import Clock
from opensock.domain.auth.grants import is_valid_channel_name
from opensock.domain.auth.permissions import Permissions
from opensock.domain.channel_events import message_published
from opensock.domain.fanout_jobs import FanoutJob
from opensock.domain.messages import (
    DEDUP_WINDOW_SECONDS,
    Outgoing,
    check_store,
    new_message_id,
    sender_origin,
)
from opensock.domain.model import Connection, Origin
from opensock.domain.names import check_channel, check_data, check_event
from opensock.domain.reaction_rules import REACTION_EVENT
from opensock.domain.requests import ClientPublishRequest, ServerPublishRequest, parse_body
from opensock.domain.schedule import check_schedule_before, parse_at
from opensock.domain.storage_access import SubscriptionLookup
from opensock.errors import (
    InvalidMessageError,
    NotSubscribedError,
    PublishPermissionDeniedError,
)
from opensock.observability import count
from opensock.ports import (
    ClientReader,
    ConnectionRepository,
    DedupRepository,
    EventPublisher,
    MessageRepository,
    Scheduler,
    SubscriptionRepository,
)

REPEAT_WINDOW_SECONDS = 86_400
"""Scheduler retries for up to 24 h by default; a firing is remembered that long."""
STORAGE_SET_EVENT = "hotsock.channelStorageSet"


@dataclass(frozen=True)
class PublishResult:
    channel: str
    event: str
    message_id: str | None = None
    schedule_arn: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"channel": self.channel, "event": self.event}
        if self.message_id:
            body["id"] = self.message_id
        if self.schedule_arn:
            body["scheduleArn"] = self.schedule_arn
        return body


class Publishing:
    def __init__(
        self,
        connections: ConnectionRepository,
        subscriptions: SubscriptionRepository,
        reader: ClientReader,
        fanout: Fanout,
        dedup: DedupRepository,
        scheduler: Scheduler,
        publisher: EventPublisher,
        storage: ChannelStorage,
        clock: Clock,
        *,
        messages: MessageRepository,
        reactions: Reactions,
    ) -> None:
        self._connections = connections
        self._subscriptions = subscriptions
        self._reader = reader
        self._fanout = fanout
        self._dedup = dedup
        self._scheduler = scheduler
        self._publisher = publisher
        self._storage = storage
        self._clock = clock
        self._messages = messages
        self._reactions = reactions

    def publish_from_socket(self, connection_id: str, body: Any, origin: Origin) -> None:
        """A client publish over the WebSocket (§7.3): fire-and-forget."""
        channel = body.get("channel") if isinstance(body, dict) else None
        lookup: SubscriptionLookup = self._subscriptions
        if isinstance(channel, str) and is_valid_channel_name(channel):
            # connection + subscription; eventually consistent, missing ones read again
            reads = self._reader.read(connection_id, channel, consistent=False)
            connection, lookup = reads.connection, reads.subscriptions(self._subscriptions)
        else:  # the publish is refused after this read anyway
            connection = self._connections.get(connection_id)
        if connection is None:
            raise PublishPermissionDeniedError("connection is not open")
        self._client_publish(connection, body, origin, lookup, http=False)

    def publish(self, connection: Connection, body: Any, origin: Origin) -> PublishResult:
        """`connection/publishMessage` (S §4.4); `hotsock.messageReaction` is a reaction."""
        if isinstance(body, dict) and body.get("event") == REACTION_EVENT:
            channel = self._reactions.react_over_http(connection, body, origin)
            return PublishResult(channel, REACTION_EVENT)
        return self._client_publish(connection, body, origin, self._subscriptions, http=True)

    def server_publish(self, payload: Any, origin: Origin) -> dict[str, Any]:
        """SERVER-API §2.3: validate, then schedule or deliver; the response body."""
        if not isinstance(payload, dict):
            raise InvalidMessageError("payload must be a JSON object")
        if payload.get("event") == STORAGE_SET_EVENT:
            return self._storage.server_set(payload, origin)
        if payload.get("event") == REACTION_EVENT:
            return self._reactions.server_react(payload, origin)
        request = parse_body(ServerPublishRequest, payload)
        check_channel(request.channel)
        check_event(request.event)
        check_data(request.data)
        check_store(request.store)
        at = None
        if request.schedule_expression is not None:
            tz = request.schedule_expression_timezone
            at = parse_at(request.schedule_expression, tz, self._clock())
        outgoing = Outgoing(
            channel=request.channel,
            event=request.event,
            data=request.data,
            emit_pub_sub_event=request.emit_pub_sub_event,
            message_id=new_message_id(self._clock()) if request.eager_id_generation else None,
            deduplication_id=request.deduplication_id or None,
            store=request.store or 0,
        )
        timezone = request.schedule_expression_timezone
        return self._launch(outgoing, origin, at, timezone).to_json()

    def run_scheduled(self, payload: Mapping[str, Any]) -> None:
        """ScheduledFunction, kind `publish`: the captured message, delivered once."""
        marker = f"schedule#{payload['scheduleId']}" if payload.get("scheduleId") else None
        if marker and not self._dedup.claim(marker, REPEAT_WINDOW_SECONDS):
            count("ScheduledRepeatDropped")
            return
        outgoing = Outgoing.from_json(payload["request"])
        origin = Origin.from_metadata(payload.get("origin") or {})
        try:
            self.deliver(outgoing, origin)
        except Exception:
            if marker:
                self._dedup.release(marker)
            raise

    def deliver(self, outgoing: Outgoing, origin: Origin) -> FanoutReport | None:
        """Assign the id, fan out (storing the message while the posts are in flight when
        `store` ≠ 0), emit `messagePublished`; None when dropped as a duplicate.

        A delivery that raises (the recipients' read, the FanoutQueue send, the message's
        write) releases its deduplication claim, so the invoker's retry with the same id is
        not dropped.
        """
        dedup = outgoing.deduplication_id
        if dedup and not self._dedup.claim(dedup, DEDUP_WINDOW_SECONDS):
            count("PublishDeduplicated")
            return None
        now = self._clock()
        message_id = outgoing.message_id or new_message_id(now)
        frame = outgoing.frame(message_id)
        exclude = outgoing.exclude_connection_id
        try:
            if outgoing.store:
                stored = outgoing.stored(message_id, origin, now)
                job = FanoutJob(outgoing.channel, frame, exclude, stored_id=message_id)
                report = self._fanout.deliver(job, alongside=lambda: self._messages.put(stored))
            else:
                report = self._fanout.deliver(FanoutJob(outgoing.channel, frame, exclude))
        except Exception:
            if dedup:
                self._dedup.release(dedup)
            raise
        count("MessagePublished")
        if outgoing.emit_pub_sub_event and self._publisher.enabled:
            self._publisher.emit([message_published(frame, origin)])
        return report

    def _client_publish(
        self,
        connection: Connection,
        body: Any,
        origin: Origin,
        lookup: SubscriptionLookup,
        *,
        http: bool,
    ) -> PublishResult:
        origin = sender_origin(connection, origin)
        request = parse_body(ClientPublishRequest, body)
        check_event(request.event)
        check_channel(request.channel)
        check_data(request.data)
        channel, sub = target_subscription(connection, request.channel, lookup)
        perms = permissions_for(connection)
        if sub is not None:
            perms = Permissions.from_entries(connection.grants, sub.token_grants)
        grant = perms.publish_grant(channel, request.event, subscribed=sub is not None)
        if not grant.allowed:
            if http and perms.can_publish(channel, request.event, subscribed=True):
                raise NotSubscribedError()
            raise PublishPermissionDeniedError()
        at = None
        if request.schedule_expression is not None:
            now = self._clock()
            at = parse_at(request.schedule_expression, request.schedule_expression_timezone, now)
            check_schedule_before(at, grant.schedule_before, now)
        eager = http and request.eager_id_generation
        outgoing = Outgoing(
            channel=channel,
            event=request.event,
            data=request.data,
            meta=sub.identity if sub is not None else connection.identity,
            exclude_connection_id=None if grant.echo else connection.connection_id,
            emit_pub_sub_event=grant.emit_pub_sub_event,
            message_id=new_message_id(self._clock()) if eager else None,
            store=grant.store,
        )
        return self._launch(outgoing, origin, at, request.schedule_expression_timezone)

    def _launch(
        self, outgoing: Outgoing, origin: Origin, at: datetime | None, timezone: str | None
    ) -> PublishResult:
        result = PublishResult(outgoing.channel, outgoing.event, outgoing.message_id)
        if at is None:
            self.deliver(outgoing, origin)
            return result
        payload = {
            "kind": "publish",
            "request": outgoing.to_json(),
            "origin": origin.to_json(),
            "scheduleId": new_message_id(),  # lets a repeated firing be recognised
        }
        arn = self._scheduler.schedule(at, timezone or "UTC", payload)
        count("PublishScheduled")
        return replace(result, schedule_arn=arn)
