"""`$default`: liveness frames, client publishes, and the answer to anything unknown (§7.8–7.11)."""

from __future__ import annotations

from opensock.domain import frames
from opensock.domain.frames import Frame
from opensock.edge.websocket_events import WsRequest
from opensock.errors import InvalidMessageError, PublishPermissionDeniedError, UnknownEventError
from opensock.observability import count
from opensock.wiring import Services

SILENT_EVENTS = frozenset({"hotsock.pong", "hotsock.heartbeat"})


def frame_event(request: WsRequest) -> str:
    """The `event` of a frame that must be a JSON object; refuses anything else."""
    body = request.body
    if not isinstance(body, dict):
        raise InvalidMessageError("frame must be a JSON object")
    event = body.get("event")
    if not isinstance(event, str) or not event:
        raise InvalidMessageError("event must be a non-empty string")
    return event


def handle_default(request: WsRequest, services: Services) -> Frame | None:
    event = frame_event(request)
    if event == "hotsock.ping":
        count("Pong")
        return frames.pong()
    if event in SILENT_EVENTS:
        count("LivenessFrame")
        return None
    if event.startswith("hotsock."):
        raise UnknownEventError(f"unknown event {event[:128]!r}")
    publish_from_socket(request, services)
    return None


def publish_from_socket(request: WsRequest, services: Services) -> None:
    """A client publish (§7.3): fire-and-forget; refusals become `hotsock.error` frames."""
    from opensock.app.publishing import client_publish
    from opensock.domain.auth.grants import is_valid_channel_name

    channel = request.body.get("channel") if isinstance(request.body, dict) else None
    reads = None
    if isinstance(channel, str) and is_valid_channel_name(channel):
        # the connection and its subscription in one batch read
        reads = services.client_reader.read(request.connection_id, channel)
        connection = reads.connection
    else:  # the publish is refused after this read anyway
        connection = services.connections.get(request.connection_id)
    if connection is None:
        raise PublishPermissionDeniedError("connection is not open")
    client_publish(connection, request.body, request.origin(), services, reads=reads)
