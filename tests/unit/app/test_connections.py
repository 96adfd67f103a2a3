"""Connections: open, announce and close with every port a fake (no AWS, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.app.connections import Connections
from opensock.config import SigningKeySettings
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.model import Connection, Origin
from opensock.errors import InvalidTokenError, UnauthorizedError
from tests.support.env import TEST_ENV
from tests.support.fakes import FakeConnections, FakeInvoker, FakePublisher, FrozenClock
from tests.support.tokens import mint
from tests.unit.app.fakes import MemoryConnections
from tests.unit.domain.auth.helpers import MemoryUsedTokens

ORIGIN = Origin("client.websocket", "req-1", "CID", "203.0.113.9", "pytest")


class SpySubscriptions:
    def __init__(self) -> None:
        self.auto: list[str] = []

    def auto_subscribe(self, connection: Connection) -> int:
        self.auto.append(connection.connection_id)
        return 0


class SpyCleanup:
    def __init__(self) -> None:
        self.left: list[tuple[str, frozenset[str]]] = []

    def leave_all(self, connection_id: str, recorded: Any = ()) -> list[Any]:
        self.left.append((connection_id, frozenset(recorded)))
        return []


class Rig:
    def __init__(self) -> None:
        self.clock = FrozenClock()
        self.repository = MemoryConnections()
        self.gateway = FakeConnections()
        self.invoker = FakeInvoker()
        self.publisher = FakePublisher()
        self.subscriptions = SpySubscriptions()
        self.cleanup = SpyCleanup()
        key = SigningKeySettings(method="HS256", encoded=TEST_ENV["SIGNING_KEY_1_ENCODED"])
        verifier = TokenVerifier((key,), clock=self.clock, used_tokens=MemoryUsedTokens())
        self.sleeps: list[float] = []
        self.connections = Connections(
            self.repository,
            verifier,
            self.gateway,
            self.invoker,
            self.publisher,
            self.subscriptions,  # type: ignore[arg-type]
            self.cleanup,  # type: ignore[arg-type]
            self.clock,
            lifetime_seconds=7200,
            connected_function_name="connected-fn",
            connected_post_timeout_seconds=3.0,
            sleep=self.sleeps.append,
        )

    def token(self, **claims: Any) -> str:
        return mint(claims, now=self.clock())


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_open_persists_the_connection_and_hands_the_announcement_over(rig: Rig) -> None:
    # WHEN a valid connect token opens the connection
    connection = rig.connections.open(rig.token(uid="jim"), ORIGIN, None)
    # THEN it is stored with a 2 h lifetime and ConnectedFunction is invoked asynchronously
    assert rig.repository.get("CID") == connection
    assert (connection.uid, connection.expires_at) == ("jim", int(rig.clock()) + 7200)
    assert rig.invoker.calls == [
        ("connected-fn", {"connectionId": "CID", "connectedAt": rig.clock(), "requestId": "req-1"})
    ]
    assert rig.gateway.frames == {}


@pytest.mark.parametrize("token", ["", "not-a-jwt"])
def test_open_refuses_a_bad_token_and_stores_nothing(rig: Rig, token: str) -> None:
    with pytest.raises(InvalidTokenError):
        rig.connections.open(token, ORIGIN, None)
    assert rig.repository.items == {} and rig.invoker.calls == []


def test_announce_posts_connected_then_auto_subscribes_then_emits(rig: Rig) -> None:
    rig.connections.open(rig.token(uid="jim"), ORIGIN, None)
    # WHEN the socket opens after two 410s
    rig.gateway.gone_before_open["CID"] = 2
    assert rig.connections.announce({"connectionId": "CID", "connectedAt": rig.clock()})
    # THEN hotsock.connected is the first frame, after two short waits
    assert rig.gateway.events("CID") == ["hotsock.connected"]
    assert len(rig.sleeps) == 2
    assert rig.subscriptions.auto == ["CID"]
    assert [e["type"] for e in rig.publisher.envelopes] == ["hotsock.connected"]


def test_a_stale_announcement_is_dropped(rig: Rig) -> None:
    rig.connections.open(rig.token(uid="jim"), ORIGIN, None)
    payload = {"connectionId": "CID", "connectedAt": rig.clock() - 121}
    assert rig.connections.announce(payload) is False
    assert rig.gateway.frames == {} and rig.subscriptions.auto == []


def test_close_removes_the_record_leaves_every_channel_and_emits(rig: Rig) -> None:
    rig.connections.open(rig.token(uid="jim"), ORIGIN, None)
    closed = rig.connections.close("CID")
    assert closed is not None and rig.repository.get("CID") is None
    assert rig.cleanup.left == [("CID", frozenset())]
    assert [e["type"] for e in rig.publisher.envelopes] == ["hotsock.disconnected"]
    # a second $disconnect finds nothing and emits nothing
    assert rig.connections.close("CID") is None
    assert len(rig.publisher.envelopes) == 1


def test_authenticate_needs_the_connection_secret(rig: Rig) -> None:
    connection = rig.connections.open(rig.token(uid="jim"), ORIGIN, None)
    assert rig.connections.authenticate("CID", connection.secret) == connection
    for cid, secret in [("CID", "wrong"), ("CID", ""), ("OTHER", connection.secret)]:
        with pytest.raises(UnauthorizedError):
            rig.connections.authenticate(cid, secret)
