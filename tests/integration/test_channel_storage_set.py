"""ChannelStorageSetFunction against moto: writes, no-ops, clears, refusals, aliases, schedules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.channel_storage_set.app import lambda_handler
from tests.support.events import ws_event
from tests.support.fakes import FakeConnections, FakeLambdaContext, FakePublisher, FrozenClock
from tests.support.stack import Stack
from tests.support.storage import FakeScheduler, open_connection, subscribe

LOBBY = "game.lobby"
HOST = {LOBBY: {"alias": "lobby", "storage": {"*": {"set": True, "emitPubSubEvent": True}}}}
PLAYER = {
    LOBBY: {
        "subscribe": True,
        "storage": {
            "*": {"observe": True, "get": True},
            "player.*": {"set": True, "store": 2, "scheduleBefore": 1_767_700_000},
        },
    }
}


@pytest.fixture
def rig(stack: Stack) -> Stack:
    stack.clock = FrozenClock()
    stack.scheduler = FakeScheduler()
    open_connection(stack, "host", HOST, uid="host")
    player = open_connection(stack, "p1", PLAYER, uid="p1")
    subscribe(stack, player, LOBBY)
    return stack


def send(stack: Stack, cid: str, **body: Any) -> dict[str, Any]:
    event = ws_event("channel_storage_set", connection_id=cid, body={"event": "x", **body})
    return lambda_handler(event, FakeLambdaContext(), stack.app)  # type: ignore[no-any-return]


def test_host_write_reaches_observers_once(
    rig: Stack, connections: FakeConnections, publisher: FakePublisher
) -> None:
    # WHEN the host (not subscribed) sets a value, then writes the same value again
    first = send(rig, "host", channel=LOBBY, key="settings", data={"maxPlayers": 4})
    again = send(rig, "host", channel=LOBBY, key="settings", data={"maxPlayers": 4})
    # THEN the observer got one update, the host got nothing back, one pub/sub event
    assert first == again == {"statusCode": 200}
    assert connections.frames["p1"] == [
        {
            "event": "hotsock.channelStorageUpdated",
            "channel": LOBBY,
            "key": "settings",
            "data": {"maxPlayers": 4},
            "meta": {"uid": "host", "umd": None},
        }
    ]
    assert connections.frames["host"] == []
    (event,) = publisher.of_type("hotsock.channelStorageUpdated")
    assert event["metadata"]["trigger"] == "client.websocket"
    assert event["metadata"]["connectionId"] == "host"


def test_alias_resolves_to_the_real_channel(rig: Stack, connections: FakeConnections) -> None:
    send(rig, "host", channel="lobby", key="phase", data="waiting")
    assert connections.frames["p1"][0]["channel"] == LOBBY


def test_writer_observing_the_key_sees_its_own_update_with_ttl(
    rig: Stack, connections: FakeConnections
) -> None:
    send(rig, "p1", channel=LOBBY, key="player.123", data={"ready": True})
    assert connections.events("p1") == ["hotsock.channelStorageUpdated"]
    entry = rig.storage_entries.get(LOBBY, "player.123", rig.clock())
    assert entry is not None and entry.expires_at == int(rig.clock()) + 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"channel": LOBBY, "key": "settings", "data": 1}, "STORAGE_SET_PERMISSION_DENIED"),
        ({"channel": LOBBY, "key": "a b", "data": 1}, "INVALID_STORAGE_KEY"),
        ({"channel": LOBBY, "key": "k" * 129, "data": 1}, "INVALID_STORAGE_KEY"),
        ({"channel": LOBBY, "key": "player.1", "data": "x" * 33_000}, "DATA_TOO_LARGE"),
        ({"channel": "bad name", "key": "player.1"}, "INVALID_CHANNEL_NAME"),
        ({"key": "player.1"}, "INVALID_MESSAGE"),
        ({"channel": LOBBY, "key": 5}, "INVALID_STORAGE_KEY"),
        (
            {"channel": LOBBY, "key": "player.1", "scheduleExpression": "rate(1 minute)"},
            "INVALID_SCHEDULE_EXPRESSION",
        ),
        (
            {"channel": LOBBY, "key": "player.1", "scheduleExpression": "at(2026-01-05T09:00:00)"},
            "INVALID_SCHEDULE_EXPRESSION",
        ),
        (
            {"channel": LOBBY, "key": "player.1", "scheduleExpression": "at(2027-01-01T00:00:00)"},
            "SCHEDULE_PERMISSION_DENIED",
        ),
    ],
)
def test_refusals_answer_an_error_frame_and_write_nothing(
    rig: Stack, connections: FakeConnections, body: dict[str, Any], code: str
) -> None:
    response = send(rig, "p1", **body)
    frame = json.loads(response["body"])
    assert frame["event"] == "hotsock.error" and frame["error"]["code"] == code
    assert frame.get("channel") == body.get("channel")
    assert list(rig.storage_entries.entries(LOBBY, rig.clock())) == []
    assert connections.frames == {}


def test_scheduled_write_applies_at_fire_time(rig: Stack, connections: FakeConnections) -> None:
    # GIVEN a scheduled write accepted now (Europe/Paris is UTC+1 in January)
    response = send(
        rig,
        "p1",
        channel=LOBBY,
        key="player.round-state",
        data="playing",
        scheduleExpression="at(2026-01-05T11:30:00)",
        scheduleExpressionTimezone="Europe/Paris",
    )
    assert response == {"statusCode": 200}
    ((at, zone, payload),) = rig.scheduler.schedules  # type: ignore[attr-defined]
    assert at.isoformat() == "2026-01-05T10:30:00+00:00" and zone == "Europe/Paris"
    assert connections.frames == {}
    # WHEN ScheduledFunction runs it
    rig.app.storage.run_scheduled(payload)
    # THEN observers get it with the writer's meta
    assert connections.frames["p1"][0]["data"] == "playing"
    assert connections.frames["p1"][0]["meta"] == {"uid": "p1", "umd": None}


def test_server_write_through_the_publish_function_reaches_observers(
    rig: Stack, connections: FakeConnections
) -> None:
    from functions.publish.app import lambda_handler as publish

    payload = {"channel": LOBBY, "event": "hotsock.channelStorageSet", "key": "round-state"}
    result = publish({**payload, "data": "started"}, FakeLambdaContext(), rig.app)
    assert result == {"channel": LOBBY, "event": "hotsock.channelStorageSet"}
    assert connections.frames["p1"][0]["data"] == "started"
    assert connections.frames["p1"][0]["meta"] == {"uid": None, "umd": None}


def test_subscribe_function_sends_the_snapshot_right_after_subscribed(
    rig: Stack, connections: FakeConnections
) -> None:
    from functions.subscribe.app import lambda_handler as subscribe_handler

    send(rig, "host", channel=LOBBY, key="settings", data={"maxPlayers": 4})
    late = open_connection(rig, "p2", PLAYER, uid="p2")
    body = {"event": "hotsock.subscribe", "channel": LOBBY}
    subscribe_handler(
        ws_event("subscribe", connection_id=late.connection_id, body=body),
        FakeLambdaContext(),
        rig.app,
    )
    assert connections.events("p2") == ["hotsock.subscribed", "hotsock.channelStorageUpdated"]
    assert connections.frames["p2"][1]["meta"]["uid"] == "host"
