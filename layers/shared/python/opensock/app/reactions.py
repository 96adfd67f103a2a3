"""Reactions (PROTOCOL §7.7, §16; SERVER-API §2.6, §4.4, §5.7): add or remove one reaction on a
stored message, over the WebSocket, `connection/publishMessage` or a server publish.

Clients need a subscription (WebSocket refusal REACTION_PERMISSION_DENIED, HTTP
NOT_SUBSCRIBED), a non-empty uid (USER_ID_REQUIRED), a live stored target (MESSAGE_NOT_FOUND)
and `react` allowing the value on the **target's event** (REACTION_PERMISSION_DENIED). The one
write is conditional, so a duplicate add or a remove of an absent reaction is a silent no-op
(Q-REACT-3) and a refused reaction writes nothing. Subscribers get `…Added`/`…Removed`; the
reacting connection only with `messages["hotsock.messageReaction"].echo`. Pub/sub follows
`emitPubSubEvent` on the target's event (Q-REACT-2), or the server payload's flag.
"""

from __future__ import annotations

import time
from typing import Any

from opensock.app.fanout import Fanout
from opensock.app.retry import Sleep, attempts
from opensock.app.subscriptions import target_subscription
from opensock.clock import Clock
from opensock.domain.auth.permissions import Permissions
from opensock.domain.fanout_jobs import FanoutJob
from opensock.domain.messages import DEDUP_WINDOW_SECONDS, new_message_id, sender_origin
from opensock.domain.model import Connection, Member, Origin
from opensock.domain.prefetch import ClientReads
from opensock.domain.reaction_rules import (
    ADDED,
    REACTION_EVENT,
    REMOVED,
    Reaction,
    ReactionRequest,
    parse_reaction,
    reaction_event,
    reaction_frame,
)
from opensock.domain.requests import ReactionFrame, ServerReactionRequest, parse_body
from opensock.domain.stored_messages import StoredMessage, id_millis
from opensock.errors import (
    MessageNotFoundError,
    NotSubscribedError,
    ReactionPermissionDeniedError,
    UserIdRequiredError,
)
from opensock.observability import count
from opensock.ports import (
    ClientReader,
    DedupRepository,
    EventPublisher,
    MessageRepository,
    SubscriptionRepository,
)

RECENT_SECONDS = 5
"""A missing target this young may still be being written (it is stored beside its posts)."""
RECENT_ATTEMPTS = 6
"""Reads of a recent missing target: ≈ 0.3 s of backoff in all (app/retry.py)."""


class Reactions:
    def __init__(
        self,
        reader: ClientReader,
        subscriptions: SubscriptionRepository,
        messages: MessageRepository,
        fanout: Fanout,
        dedup: DedupRepository,
        publisher: EventPublisher,
        clock: Clock,
        *,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._sleep = sleep
        self._reader = reader
        self._subscriptions = subscriptions
        self._messages = messages
        self._fanout = fanout
        self._dedup = dedup
        self._publisher = publisher
        self._clock = clock

    def react_from_socket(self, connection_id: str, frame: ReactionFrame, origin: Origin) -> None:
        """`hotsock.messageReaction`: connection, subscription and target in one batch read."""
        request = parse_reaction(frame.data)
        reads = self._reader.read(connection_id, frame.channel, message_id=request.message_id)
        connection = reads.connection
        if connection is None:
            raise ReactionPermissionDeniedError("connection is not open")
        origin = sender_origin(connection, origin)
        self._client_react(connection, reads, request, origin, http=False)

    def react_over_http(self, connection: Connection, body: Any, origin: Origin) -> str:
        """A `connection/publishMessage` reaction (S §4.4); returns the real channel."""
        frame = parse_body(ReactionFrame, body)
        request = parse_reaction(frame.data)
        reads = self._reader.read(
            connection.connection_id, frame.channel, message_id=request.message_id
        )
        return self._client_react(connection, reads, request, origin, http=True)

    def server_react(self, payload: Any, origin: Origin) -> dict[str, Any]:
        """A server publish of `hotsock.messageReaction` (S §2.6): no permission check."""
        body = parse_body(ServerReactionRequest, payload)
        request = parse_reaction(body.data, server=True)
        message = self._find(body.channel, request.message_id, None)
        response = {"channel": body.channel, "event": REACTION_EVENT}
        dedup = body.deduplication_id
        if dedup and not self._dedup.claim(dedup, DEDUP_WINDOW_SECONDS):
            count("PublishDeduplicated")
            return response
        actor = request.member or Member(None)
        self._apply(message, request, actor, origin, None, emit=body.emit_pub_sub_event)
        return response

    def _find(
        self, channel: str, message_id: str, read: StoredMessage | None, was_read: bool = False
    ) -> StoredMessage:
        """The target message. A message is stored while its posts are in flight, so a client
        may react to a frame whose write has not landed yet: a missing message younger than
        `RECENT_SECONDS` is read again (strongly consistent) with a short backoff."""
        for attempt in attempts(self._sleep, RECENT_ATTEMPTS):
            if attempt or not was_read:
                read = self._messages.get(channel, message_id, self._clock())
            if read is not None:
                return read
            if self._clock() * 1000 - id_millis(message_id) > RECENT_SECONDS * 1000:
                break
        count("ReactionTargetMissing")
        raise MessageNotFoundError()

    def _client_react(
        self,
        connection: Connection,
        reads: ClientReads,
        request: ReactionRequest,
        origin: Origin,
        *,
        http: bool,
    ) -> str:
        lookup = reads.subscriptions(self._subscriptions)
        channel, sub = target_subscription(connection, reads.channel, lookup)
        if sub is None:
            if http:
                raise NotSubscribedError()
            raise ReactionPermissionDeniedError("not subscribed to this channel")
        if not sub.uid:
            raise UserIdRequiredError("a uid is required to react")
        # an alias: the batch read looked under the other name
        message = self._find(channel, request.message_id, reads.message, channel == reads.channel)
        permissions = Permissions.from_entries(connection.grants, sub.token_grants)
        if not permissions.can_react(channel, message.event, request.reaction):
            raise ReactionPermissionDeniedError()
        echo = permissions.message_flag(channel, REACTION_EVENT, "echo")
        emit = permissions.message_flag(channel, message.event, "emitPubSubEvent")
        exclude = None if echo else connection.connection_id
        self._apply(message, request, sub.identity, origin, exclude, emit=emit)
        return channel

    def _apply(
        self,
        message: StoredMessage,
        request: ReactionRequest,
        actor: Member,
        origin: Origin,
        exclude: str | None,
        *,
        emit: bool,
    ) -> None:
        now = self._clock()
        if request.action == "add":
            reaction = Reaction(
                id=new_message_id(now),
                channel=message.channel,
                message_id=message.id,
                reaction=request.reaction,
                member=actor,
                created_at=now,
                expires_at=message.expires_at,
                origin=origin,
            )
            if not self._messages.add_reaction(reaction, now):
                count("ReactionUnchanged")
                return
            event, event_id, stored = ADDED, reaction.id, reaction
        else:
            removed = self._messages.remove_reaction(
                message.channel, message.id, request.reaction, actor.uid or "", now
            )
            if removed is None:
                count("ReactionUnchanged")
                return
            event, event_id, stored = REMOVED, new_message_id(now), removed
        frame = reaction_frame(event, event_id, stored, actor)
        self._fanout.deliver(FanoutJob(message.channel, frame, exclude))
        count("MessageReaction")
        if emit and self._publisher.enabled:
            self._publisher.emit([reaction_event(event, stored)])
