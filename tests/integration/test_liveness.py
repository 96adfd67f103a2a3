"""LivenessFunction against moto: heartbeat deadlines, keep-alive frames, the ghost sweep and
presence leave graces (PROTOCOL §17, §2.4, Q-HB-1; docs/extensions.md).

Time is a FrozenClock; timers are a FakeTimers whose due timers are handed to the handler as
the SQS batch LivenessQueue would deliver.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

from functions.liveness.app import lambda_handler
from opensock.config import load_settings
from opensock.domain.model import Connection
from tests.support.calls import subscribe
from tests.support.channels import create_table, gateway, open_connection, pubsub
from tests.support.env import TEST_ENV
from tests.support.fakes import (
    FakeConnections,
    FakeLambdaContext,
    FakePublisher,
    FakeTimers,
    FrozenClock,
)
from tests.support.stack import Stack

ROOM = {"presence.room": {"subscribe": True}}


@pytest.fixture
def timers() -> FakeTimers:
    return FakeTimers()


def make_stack(clock: FrozenClock, timers: FakeTimers, **env: str) -> Stack:
    settings = load_settings({**os.environ, **env})
    return Stack(
        settings,
        clock=clock,
        sleep=lambda _: None,
        gateway=FakeConnections(),
        pubsub=FakePublisher(),
        timers=timers,
    )


@pytest.fixture
def live(clock: FrozenClock, timers: FakeTimers) -> Iterator[Stack]:
    from opensock.adapters.dynamodb.client import dynamodb_client

    dynamodb_client.cache_clear()
    with mock_aws():
        create_table(TEST_ENV["TABLE_NAME"])
        yield make_stack(clock, timers, SWEEP_SLOTS="1")
    dynamodb_client.cache_clear()


def announce(stack: Stack, connection: Connection, **changes: object) -> Connection:
    """Store the connection with its liveness claims and run ConnectedFunction's step."""
    connection = dataclasses.replace(connection, **changes)  # type: ignore[arg-type]
    stack.connections.put(connection)
    assert stack.app.connections.announce(
        {"connectionId": connection.connection_id, "connectedAt": connection.connected_at}
    )
    return connection


def fire(stack: Stack, timers: FakeTimers, clock: FrozenClock) -> dict[str, int]:
    event = FakeTimers.as_event(timers.due(clock()))
    result: dict[str, int] = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    return result


def test_heartbeat_closes_a_silent_connection_after_timeout_plus_grace(
    live: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    # GIVEN Jim (heartbeatTimeout 5) and Pam on a presence channel
    jim = announce(live, open_connection(live, "J", ROOM, uid="jim"), heartbeat_timeout=5)
    pam = open_connection(live, "P", ROOM, uid="pam")
    subscribe(jim, "presence.room", live)
    subscribe(pam, "presence.room", live)
    (first,) = timers.started
    assert first.due == jim.connected_at + 5 + 2  # Q-HB-1: N after connect, then the 2 s grace
    # WHEN Jim beats at +3 s and the timer fires at +7 s
    gateway(live).active["J"] = jim.connected_at + 3
    clock.advance(7)
    assert fire(live, timers, clock) == {"fired": 1, "rearmed": 1}
    # THEN he stays; the timer moved to his new deadline (+3 + 5 + 2)
    assert gateway(live).closed == []
    (rearmed,) = timers.started
    assert rearmed.due == jim.connected_at + 10
    # WHEN he stops beating and the timer fires
    clock.advance(3)
    fire(live, timers, clock)
    # THEN he is closed and cleaned up like any disconnect
    assert gateway(live).closed == ["J"]
    assert live.connections.get("J") is None
    assert gateway(live).events("P")[-1] == "hotsock.memberRemoved"
    assert pubsub(live).of_type("hotsock.disconnected")
    assert timers.started == []


def test_heartbeat_timer_of_a_closed_connection_ends_quietly(
    live: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    announce(live, open_connection(live, "G", ROOM, uid="gone"), heartbeat_timeout=5)
    gateway(live).gone.add("G")  # closed meanwhile ($disconnect may have been missed)
    clock.advance(7)
    fire(live, timers, clock)
    assert live.connections.get("G") is None
    assert timers.started == [] and gateway(live).closed == []


def test_keep_alive_frames_until_the_two_hour_cap(
    live: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    announce(live, open_connection(live, "K"), keep_alive=True)
    announce(live, open_connection(live, "N"))
    sent = 0
    while timers.started:
        clock.advance(570)
        fire(live, timers, clock)
        sent = gateway(live).events("K").count("hotsock.keepAlive")
    assert gateway(live).events("K")[-1] == "hotsock.keepAlive"
    assert gateway(live).frames["K"][-1] == {"event": "hotsock.keepAlive", "data": {}}
    assert sent == 12  # every 570 s within 7 200 s
    assert "hotsock.keepAlive" not in gateway(live).events("N")


def test_keep_alive_to_a_gone_connection_prunes_it(
    live: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    announce(live, open_connection(live, "K"), keep_alive=True)
    gateway(live).gone.add("K")
    clock.advance(570)
    fire(live, timers, clock)
    assert live.connections.get("K") is None and timers.started == []


def test_sweep_cleans_up_records_whose_disconnect_never_came(
    live: Stack, clock: FrozenClock
) -> None:
    # GIVEN three members: one open, one whose socket is gone, one past its 2 h cap
    names = {"A": "ann", "D": "dan", "X": "xan"}
    conns = {cid: open_connection(live, cid, ROOM, uid=uid) for cid, uid in names.items()}
    for conn in conns.values():
        subscribe(conn, "presence.room", live)
    gateway(live).gone.add("D")
    clock.advance(60)
    # WHEN the sweep runs
    result = lambda_handler({"kind": "sweep"}, FakeLambdaContext(), app=live.app)
    # THEN D is removed, the others stay
    assert result == {"slot": 0, "checked": 3, "swept": 1}
    assert live.connections.get("D") is None and live.connections.get("A") is not None
    removed = [f for f in gateway(live).frames["A"] if f["event"] == "hotsock.memberRemoved"]
    assert [f["data"]["member"]["uid"] for f in removed] == ["dan"]
    # WHEN the 2 h cap passes without $disconnect for anyone
    clock.advance(7200)
    lambda_handler({"kind": "sweep"}, FakeLambdaContext(), app=live.app)
    # THEN every record and presence member is gone, expired subscriptions included
    assert live.members.members("presence.room") == []
    assert live.app.channels.info("presence.room")["members"] == []


def test_sweep_leaves_connections_still_in_connect_alone(live: Stack) -> None:
    open_connection(live, "Y", ROOM, uid="young")
    gateway(live).gone.add("Y")  # `GET @connections` answers 410 while `$connect` runs
    result = lambda_handler({"kind": "sweep"}, FakeLambdaContext(), app=live.app)
    assert result["checked"] == 0 and live.connections.get("Y") is not None


@pytest.fixture
def graceful(clock: FrozenClock, timers: FakeTimers) -> Iterator[Stack]:
    from opensock.adapters.dynamodb.client import dynamodb_client

    dynamodb_client.cache_clear()
    with mock_aws():
        create_table(TEST_ENV["TABLE_NAME"])
        yield make_stack(clock, timers, PRESENCE_LEAVE_GRACE_SECONDS="3")
    dynamodb_client.cache_clear()


def jim_and_pam_on_the_room(graceful: Stack) -> int:
    """Jim (connection J1, umd v1) and Pam (P) on presence.room; the frames Pam has so far."""
    jim = open_connection(graceful, "J1", ROOM, uid="jim", umd={"v": 1})
    pam = open_connection(graceful, "P", ROOM, uid="pam")
    subscribe(jim, "presence.room", graceful)
    subscribe(pam, "presence.room", graceful)
    return len(gateway(graceful).frames["P"])


def test_leave_grace_rejoin_within_it_sends_no_member_frames(
    graceful: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    # GIVEN Jim and Pam on a presence channel, leave grace 3 s
    seen = jim_and_pam_on_the_room(graceful)
    # WHEN Jim's connection ends and he reconnects 2 s later with a new connection
    graceful.app.connections.close("J1")
    assert [m["uid"] for m in graceful.app.channels.info("presence.room")["members"]] == [
        "jim",
        "pam",
    ]
    clock.advance(2)
    subscribe(
        open_connection(graceful, "J2", ROOM, uid="jim", umd={"v": 1}), "presence.room", graceful
    )
    clock.advance(2)
    fire(graceful, timers, clock)
    # THEN Pam saw nothing, and pub/sub has no member events for it
    assert gateway(graceful).frames["P"][seen:] == []
    member_events = [
        e for e in pubsub(graceful).envelopes if e["type"].startswith("hotsock.member")
    ]
    # (the two joins before it only)
    assert [e["type"] for e in member_events] == ["hotsock.memberAdded", "hotsock.memberAdded"]


def test_leave_grace_rejoin_with_new_umd_is_an_update(
    graceful: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    seen = jim_and_pam_on_the_room(graceful)
    graceful.app.connections.close("J1")
    clock.advance(1)
    subscribe(
        open_connection(graceful, "J2", ROOM, uid="jim", umd={"v": 2}), "presence.room", graceful
    )
    assert gateway(graceful).events("P")[seen:] == ["hotsock.memberUpdated"]


def test_leave_grace_without_rejoin_removes_the_member_when_it_ends(
    graceful: Stack, timers: FakeTimers, clock: FrozenClock
) -> None:
    jim = open_connection(graceful, "J1", ROOM, uid="jim")
    pam = open_connection(graceful, "P", ROOM, uid="pam")
    subscribe(jim, "presence.room", graceful)
    subscribe(pam, "presence.room", graceful)
    graceful.app.connections.close("J1")
    assert "hotsock.memberRemoved" not in gateway(graceful).events("P")  # not yet
    (timer,) = timers.started
    assert timer.kind == "memberLeave" and timer.due == clock() + 3
    clock.advance(3)
    fire(graceful, timers, clock)
    frame = gateway(graceful).frames["P"][-1]
    assert frame["event"] == "hotsock.memberRemoved"
    assert frame["data"] == {
        "member": {"uid": "jim", "umd": None},
        "members": [{"uid": "pam", "umd": None}],
    }
    assert pubsub(graceful).of_type("hotsock.memberRemoved")
    assert graceful.members.members("presence.room")[0].uid == "pam"
