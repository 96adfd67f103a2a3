"""What a umd update announces: `hotsock.memberUpdated` frames and pub/sub events.

On each presence channel whose member's displayed umd changed (JSON-compared, Q-PRES-4), every
subscriber, the updater included, gets `hotsock.memberUpdated` with the member and the full
list; one pub/sub `hotsock.memberUpdated` per channel and uid (SERVER-API §5.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opensock.domain import channel_events, frames
from opensock.domain.envelopes import PubSubEvent
from opensock.domain.fanout_jobs import FanoutJob
from opensock.domain.presence import dumps_sorted
from opensock.domain.user_metadata import SubscriptionUpdate
from opensock.jsoncodec import JsonValue

if TYPE_CHECKING:
    from opensock.wiring import Services


def same_json(a: JsonValue, b: JsonValue) -> bool:
    return dumps_sorted(a) == dumps_sorted(b)


def member_updates(updates: Sequence[SubscriptionUpdate], services: Services) -> list[PubSubEvent]:
    """Deliver the member frames; returns the pub/sub events to emit."""
    events: list[PubSubEvent] = []
    for update in updates:
        event = update.member_event
        if event is None or update.member is None:
            continue
        member = update.member.member
        frame = frames.member_event(event, update.channel, member, update.members)
        services.fanout.deliver(FanoutJob(update.channel, frame))
        events.append(channel_events.member_event(event, update.channel, member, update.members))
    return events
