"""`$default`: ping answers pong, pong/heartbeat are silent, unknown hotsock events refused."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.app.client_frames import ClientFrames
from opensock.app.scheduled import ScheduledJobs
from opensock.domain.model import Origin
from opensock.errors import InvalidMessageError, UnknownEventError

ORIGIN = Origin("client.websocket", connection_id="CID")


class SpyPublishing:
    def __init__(self) -> None:
        self.published: list[Any] = []

    def publish_from_socket(self, connection_id: str, body: Any, origin: Origin) -> None:
        self.published.append((connection_id, body))


def frames() -> tuple[ClientFrames, SpyPublishing]:
    publishing = SpyPublishing()
    return ClientFrames(publishing), publishing  # type: ignore[arg-type]


def test_ping_answers_exactly_pong() -> None:
    client_frames, publishing = frames()
    reply = client_frames.receive("CID", {"event": "hotsock.ping"}, ORIGIN)
    assert reply == {"event": "hotsock.pong", "data": "{}"}
    assert publishing.published == []


@pytest.mark.parametrize("event", ["hotsock.pong", "hotsock.heartbeat"])
def test_liveness_frames_are_accepted_silently(event: str) -> None:
    client_frames, publishing = frames()
    assert client_frames.receive("CID", {"event": event}, ORIGIN) is None
    assert publishing.published == []


def test_other_events_are_client_publishes() -> None:
    client_frames, publishing = frames()
    body = {"event": "chat", "channel": "room", "data": 1}
    assert client_frames.receive("CID", body, ORIGIN) is None
    assert publishing.published == [("CID", body)]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"event": "hotsock.nope"}, UnknownEventError),
        ({"event": ""}, InvalidMessageError),
        ([1, 2], InvalidMessageError),
    ],
)
def test_refusals(body: Any, error: type[Exception]) -> None:
    client_frames, publishing = frames()
    with pytest.raises(error):
        client_frames.receive("CID", body, ORIGIN)
    assert publishing.published == []


def test_scheduled_jobs_run_their_kind_and_drop_unknown_ones() -> None:
    ran: list[Any] = []
    jobs = ScheduledJobs({"publish": ran.append})
    assert jobs.run({"kind": "publish", "request": 1}) is True
    assert jobs.run({"kind": "nope"}) is False
    assert ran == [{"kind": "publish", "request": 1}]
