"""Publishing: client messages (WebSocket and HTTP, §7.3, §13) and server messages (S §2).

Checks run before anything is accepted: names and sizes, then (clients) the §5.6
publish/broadcast matrix and `scheduleBefore`. A scheduled publish is captured as an
`Outgoing` in a one-time schedule; otherwise it is delivered now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from opensock import registry
from opensock.app.subscriptions import permissions_for
from opensock.domain.messages import Outgoing, deliver, new_message_id, origin_to_json
from opensock.domain.model import Connection, Origin, Subscription
from opensock.domain.names import check_channel, check_data, check_event
from opensock.domain.schedule import parse_at
from opensock.edge.requests import ClientPublishRequest, ServerPublishRequest, parse_body
from opensock.errors import (
    InvalidMessageError,
    InvalidStoreError,
    NotSubscribedError,
    PublishPermissionDeniedError,
    SchedulePermissionDeniedError,
)
from opensock.observability import count

if TYPE_CHECKING:
    from opensock.adapters.dynamodb.client_reads import ClientReads
    from opensock.wiring import Services

MAX_STORE_SECONDS = 3_155_695_200


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


def _target(
    connection: Connection, requested: str, services: Services, reads: ClientReads | None
) -> tuple[str, Subscription | None]:
    """The real channel and the connection's subscription to it (aliases resolved)."""
    subscriptions = reads.subscriptions(services.subscriptions) if reads else services.subscriptions
    channel, _ = permissions_for(connection).resolve_channel(requested)
    sub = subscriptions.get(channel, connection.connection_id)
    if sub is None and channel == requested and requested not in connection.grants:
        aliased = subscriptions.find_by_alias(connection.connection_id, requested)
        if aliased is not None:
            return aliased.channel, aliased
    return channel, sub


def _launch(
    outgoing: Outgoing, request: Any, origin: Origin, services: Services, at: Any
) -> PublishResult:
    result = PublishResult(outgoing.channel, outgoing.event, outgoing.message_id)
    if at is None:
        deliver(outgoing, origin, services)
        return result
    payload = {
        "kind": "publish",
        "request": outgoing.to_json(),
        "origin": origin_to_json(origin),
        "scheduleId": new_message_id(),  # lets a repeated firing be recognised (at-least-once)
    }
    timezone = request.schedule_expression_timezone or "UTC"
    arn = services.scheduler.schedule(at, timezone, payload)
    count("PublishScheduled")
    return PublishResult(outgoing.channel, outgoing.event, outgoing.message_id, arn)


def _sender_origin(connection: Connection, origin: Origin) -> Origin:
    """WebSocket publishes report the connection's IP and User-Agent from connect (S §5.7):
    message events carry no headers."""
    if origin.trigger != "client.websocket":
        return origin
    return replace(
        origin,
        source_ip=connection.source_ip or origin.source_ip,
        user_agent=connection.user_agent or origin.user_agent,
    )


def client_publish(
    connection: Connection,
    body: Any,
    origin: Origin,
    services: Services,
    *,
    http: bool = False,
    reads: ClientReads | None = None,
) -> PublishResult:
    """`reads`: the connection and its subscription, if the caller read them in one batch."""
    origin = _sender_origin(connection, origin)
    request = parse_body(ClientPublishRequest, body)
    check_event(request.event)
    check_channel(request.channel)
    check_data(request.data)
    channel, sub = _target(connection, request.channel, services, reads)
    perms = permissions_for(connection)
    if sub is not None:
        from opensock.domain.auth.permissions import Permissions

        perms = Permissions.from_entries(connection.grants, sub.token_grants)
    grant = perms.publish_grant(channel, request.event, subscribed=sub is not None)
    if not grant.allowed:
        if http and perms.can_publish(channel, request.event, subscribed=True):
            raise NotSubscribedError()
        raise PublishPermissionDeniedError()
    at = None
    if request.schedule_expression is not None:
        now = services.clock()
        at = parse_at(request.schedule_expression, request.schedule_expression_timezone, now)
        limit = grant.schedule_before
        if limit is None or limit <= now or at.timestamp() > limit:
            raise SchedulePermissionDeniedError()
    eager = http and request.eager_id_generation
    outgoing = Outgoing(
        channel=channel,
        event=request.event,
        data=request.data,
        meta=sub.identity if sub is not None else connection.identity,
        exclude_connection_id=None if grant.echo else connection.connection_id,
        emit_pub_sub_event=grant.emit_pub_sub_event,
        message_id=new_message_id() if eager else None,
    )
    return _launch(outgoing, request, origin, services, at)


def _check_store(store: int | None) -> None:
    if store is not None and store != -1 and not 0 <= store <= MAX_STORE_SECONDS:
        raise InvalidStoreError("store must be -1, 0 or 1..3155695200")


def server_publish(payload: Any, origin: Origin, services: Services) -> PublishResult | Any:
    """SERVER-API §2.3: validate, then schedule or deliver; special events are delegated."""
    if not isinstance(payload, dict):
        raise InvalidMessageError("payload must be a JSON object")
    special = registry.SERVER_PUBLISH_EVENTS.get(str(payload.get("event")))
    if special is not None:
        return registry.load(special)(payload, origin, services)
    request = parse_body(ServerPublishRequest, payload)
    check_channel(request.channel)
    check_event(request.event)
    check_data(request.data)
    _check_store(request.store)
    at = None
    if request.schedule_expression is not None:
        tz = request.schedule_expression_timezone
        at = parse_at(request.schedule_expression, tz, services.clock())
    outgoing = Outgoing(
        channel=request.channel,
        event=request.event,
        data=request.data,
        emit_pub_sub_event=request.emit_pub_sub_event,
        message_id=new_message_id() if request.eager_id_generation else None,
        deduplication_id=request.deduplication_id or None,
    )
    return _launch(outgoing, request, origin, services, at)
