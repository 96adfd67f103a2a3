"""Scheduled publishes at fire time (§14.3): the captured message, delivered without re-checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.channels.messages import Outgoing, deliver, origin_from_json

if TYPE_CHECKING:
    from opensock.services import Services


def run_scheduled_publish(payload: dict[str, Any], services: Services) -> None:
    outgoing = Outgoing.from_json(payload["request"])
    deliver(
        outgoing, origin_from_json(payload.get("origin") or {"trigger": "server.lambda"}), services
    )
