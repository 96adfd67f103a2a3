"""`$default`: liveness frames, client publishes, and the answer to anything unknown (§7.8–7.11)."""

from __future__ import annotations

from typing import Any

from opensock.app.publishing import Publishing
from opensock.domain import frames
from opensock.domain.frames import Frame
from opensock.domain.model import Origin
from opensock.errors import InvalidMessageError, UnknownEventError
from opensock.observability import count

SILENT_EVENTS = frozenset({"hotsock.pong", "hotsock.heartbeat"})


def frame_event(body: Any) -> str:
    """The `event` of a frame that must be a JSON object; refuses anything else."""
    if not isinstance(body, dict):
        raise InvalidMessageError("frame must be a JSON object")
    event = body.get("event")
    if not isinstance(event, str) or not event:
        raise InvalidMessageError("event must be a non-empty string")
    return event


class ClientFrames:
    def __init__(self, publishing: Publishing) -> None:
        self._publishing = publishing

    def receive(self, connection_id: str, body: Any, origin: Origin) -> Frame | None:
        """The reply to a frame no other route selected (None: no reply)."""
        event = frame_event(body)
        if event == "hotsock.ping":
            count("Pong")
            return frames.pong()
        if event in SILENT_EVENTS:
            count("LivenessFrame")
            return None
        if event.startswith("hotsock."):
            raise UnknownEventError(f"unknown event {event[:128]!r}")
        self._publishing.publish_from_socket(connection_id, body, origin)
        return None
