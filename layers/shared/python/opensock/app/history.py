"""History: `connection/listMessages`, `connection/listReactions` (SERVER-API §4.2, §4.3) and
the `resumeAfter` extension of `hotsock.subscribe` (docs/extensions.md).

Every read is bounded by the subscription's history window (`historyStart`, else its creation;
v1.13.3 for reactions) and leaves out what has expired. A resume hands over to the live fan-out
at the subscription's cutoff id (`Subscription.resume_until`, a moment after its creation):
publishers leave a resuming subscription out for stored messages up to the cutoff, and the
resume delivers exactly those, oldest first, sweeping the table until the cutoff has passed by
`settle_seconds` (time for a message whose id is older to be written). So no stored message is
missed or delivered twice at the seam, as long as DynamoDB's replication lag plus clock skew
stays under the hand-off (1 s) and a publish writes within the settle time of taking its id.
"""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from opensock.app.subscriptions import target_subscription
from opensock.clock import Clock
from opensock.domain import frames
from opensock.domain.auth.permissions import Permissions
from opensock.domain.model import Connection, Subscription
from opensock.domain.reaction_rules import Reaction, aggregates, listed
from opensock.domain.requests import ListMessagesRequest, ListReactionsRequest
from opensock.domain.stored_messages import (
    HIGHEST_ID,
    MAX_PAGE_BYTES,
    MAX_PAGE_MESSAGES,
    StoredMessage,
    id_millis,
    lowest_id,
    next_id,
    previous_id,
    subscription_window,
    window_start,
)
from opensock.errors import ConnectionGoneError, NotSubscribedError, ResumeIncompleteError
from opensock.jsoncodec import size_bytes
from opensock.observability import count
from opensock.ports import ConnectionGateway, MessageRepository, SubscriptionRepository

MAX_RESUME_MESSAGES = 1000
RESUME_SETTLE_SECONDS = 0.5
RESUME_POLL_SECONDS = 0.25
RESUME_BUDGET_SECONDS = 20.0
"""A resume stops (RESUME_INCOMPLETE) rather than outlive API Gateway's 29 s integration."""


class History:
    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        messages: MessageRepository,
        gateway: ConnectionGateway,
        clock: Clock,
        *,
        sleep: Callable[[float], None],
        settle_seconds: float = RESUME_SETTLE_SECONDS,
        poll_seconds: float = RESUME_POLL_SECONDS,
    ) -> None:
        self._subscriptions = subscriptions
        self._messages = messages
        self._gateway = gateway
        self._clock = clock
        self._sleep = sleep
        self._settle = settle_seconds
        self._poll = max(poll_seconds, 0.01)

    # --- Client HTTP API ------------------------------------------------------------------------
    def list_messages(self, connection: Connection, request: ListMessagesRequest) -> dict[str, Any]:
        channel, start = self._window(connection, request.channel)
        if request.reverse:
            low = start
            high = previous_id(request.before) if request.before else HIGHEST_ID
        else:
            low = max(start, next_id(request.after)) if request.after else start
            high = HIGHEST_ID
        now = self._clock()
        page = self._messages.page(
            channel, low, high, now=now, limit=MAX_PAGE_MESSAGES, reverse=request.reverse
        )
        by_message: dict[str, list[Reaction]] = defaultdict(list)
        if page:
            ids = [message.id for message in page]
            for reaction in self._messages.reactions(channel, min(ids), max(ids), now):
                by_message[reaction.message_id].append(reaction)
        count("MessagesListed")
        return {"messages": _fit(page, by_message, expand=request.expand_reactions)}

    def list_reactions(
        self, connection: Connection, request: ListReactionsRequest
    ) -> dict[str, Any]:
        channel, start = self._window(connection, request.channel)
        if request.message_id < start:  # outside the window: revealed as nothing (v1.13.3)
            return {"reactions": []}
        found = self._messages.reactions(
            channel, request.message_id, request.message_id, self._clock()
        )
        return {"reactions": listed(found)}

    def _window(self, connection: Connection, requested: str) -> tuple[str, str]:
        channel, sub = target_subscription(connection, requested, self._subscriptions)
        if sub is None:
            raise NotSubscribedError(channel=requested)
        return channel, subscription_window(sub, connection.grants)

    # --- resumeAfter ------------------------------------------------------------------------------
    def resume(self, sub: Subscription, after: str, requested: str) -> int:
        """Post the stored messages after `after` up to the cutoff, in id order; how many."""
        cutoff = sub.resume_until or HIGHEST_ID
        permissions = Permissions.from_entries(sub.connect_grants, sub.token_grants)
        low = max(window_start(sub, permissions), next_id(after))
        run = _Resume(self._messages, self._gateway, self._clock, sub, requested, cutoff)
        deadline = id_millis(cutoff) / 1000 + self._settle
        swept_at = self._clock()
        sweeps = math.ceil(max(0.0, deadline - swept_at) / self._poll) + 1
        if not run.sweep(low):
            return run.delivered
        for _ in range(sweeps):
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            self._sleep(min(self._poll, remaining))
            # a message written since the last sweep has an id at most `settle` older than it
            lower = max(low, lowest_id(int((swept_at - self._settle) * 1000)))
            swept_at = self._clock()
            if not run.sweep(lower):
                break
        count("Resumed")
        return run.delivered


class _Resume:
    """One resume's state: what it posted, in order, and its limits."""

    def __init__(
        self,
        messages: MessageRepository,
        gateway: ConnectionGateway,
        clock: Clock,
        sub: Subscription,
        requested: str,
        cutoff: str,
    ) -> None:
        self.messages = messages
        self.gateway = gateway
        self.clock = clock
        self.sub = sub
        self.requested = requested
        self.cutoff = cutoff
        self.posted: set[str] = set()
        self.delivered = 0
        self.started = clock()

    def sweep(self, lower: str) -> bool:
        """Post what is new in `lower..cutoff`; False once the resume has to stop."""
        found = self.messages.page(
            self.sub.channel,
            lower,
            self.cutoff,
            now=self.clock(),
            limit=MAX_RESUME_MESSAGES + 1,
            consistent=True,
        )
        for message in found:
            if message.id in self.posted:
                continue
            if not self._within_limits():
                return False
            try:
                self.gateway.post(self.sub.connection_id, message.frame())
            except ConnectionGoneError:
                return False
            self.posted.add(message.id)
            self.delivered += 1
        return True

    def _within_limits(self) -> bool:
        over = self.delivered >= MAX_RESUME_MESSAGES
        if not over and self.clock() - self.started <= RESUME_BUDGET_SECONDS:
            return True
        count("ResumeIncomplete")
        error = ResumeIncompleteError(
            f"more than {MAX_RESUME_MESSAGES} messages to resume"
            if over
            else "the resume ran out of time"
        )
        error.message += ": page the rest with connection/listMessages"
        with contextlib.suppress(ConnectionGoneError):
            self.gateway.post(self.sub.connection_id, frames.error(error, self.requested))
        return False


def _fit(
    page: list[StoredMessage], reactions: dict[str, list[Reaction]], *, expand: bool
) -> list[dict[str, Any]]:
    """The listed messages, cut where the response would pass 1 MB (at least one message)."""
    result: list[dict[str, Any]] = []
    size = len('{"messages":[]}')
    for message in page:
        item = message.listed()
        summary = aggregates(reactions.get(message.id, []), expand=expand)
        if summary or expand:
            item["reactions"] = summary
        item_size = size_bytes(item) + (1 if result else 0)
        if result and size + item_size > MAX_PAGE_BYTES:
            break
        size += item_size
        result.append(item)
    return result
