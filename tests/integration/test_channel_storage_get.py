"""ChannelStorageGetFunction, the HTTP storage actions, server writes and the subscribe snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.channel_storage_get.app import lambda_handler
from opensock.domain.model import Origin
from opensock.edge import http_routes as http_actions
from opensock.edge.http import HttpRequest
from opensock.edge.http_routes import AdminCall, ConnectionCall
from tests.support.events import ws_event
from tests.support.fakes import FakeConnections, FakeLambdaContext, FakePublisher, FrozenClock
from tests.support.stack import Stack
from tests.support.storage import FakeScheduler, open_connection, subscribe

LOBBY = "game.lobby"
READER = {LOBBY: {"storage": {"*": {"get": True, "observe": True}, "secret": {"get": False}}}}
SERVER = Origin(trigger="server.lambda", request_id="r-1")


@pytest.fixture
def rig(stack: Stack) -> Stack:
    stack.clock = FrozenClock()
    stack.scheduler = FakeScheduler()
    open_connection(stack, "reader", READER, uid="r")
    return stack


def server_set(stack: Stack, **payload: Any) -> dict[str, Any]:
    body = {"channel": LOBBY, "event": "hotsock.channelStorageSet", **payload}
    return stack.app.storage.server_set(body, SERVER)


def get(stack: Stack, key: str) -> dict[str, Any]:
    body = {"event": "hotsock.channelStorageGet", "channel": LOBBY, "key": key}
    event = ws_event("channel_storage_get", connection_id="reader", body=body)
    return json.loads(lambda_handler(event, FakeLambdaContext(), stack.app)["body"])  # type: ignore[no-any-return]


def call(stack: Stack, body: Any) -> ConnectionCall:
    request = HttpRequest("POST", ("connection", "x"), {}, {}, json.dumps(body))
    connection = stack.connections.get("reader")
    assert connection is not None
    return ConnectionCall(connection, body, Origin(trigger="client.http"), request)


def test_get_answers_data_then_null_after_expiry(rig: Stack) -> None:
    assert server_set(rig, key="rules", data={"rounds": 3}, store=60) == {
        "channel": LOBBY,
        "event": "hotsock.channelStorageSet",
    }
    assert get(rig, "rules") == {
        "event": "hotsock.channelStorageData",
        "channel": LOBBY,
        "key": "rules",
        "data": {"rounds": 3},
        "meta": {"uid": None, "umd": None},
    }
    rig.clock.advance(60)  # type: ignore[attr-defined]
    assert get(rig, "rules")["data"] is None and get(rig, "rules")["meta"] is None


def test_get_refused_without_permission(rig: Stack) -> None:
    frame = get(rig, "secret")
    assert frame["error"]["code"] == "STORAGE_GET_PERMISSION_DENIED"
    assert frame["channel"] == LOBBY


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"data": 1}, "INVALID_STORAGE_KEY"),
        ({"key": "k", "store": 0}, "INVALID_STORE"),
        ({"key": "k", "store": 1.5}, "INVALID_STORE"),
        ({"key": "k", "emitPubSubEvent": "yes"}, "INVALID_MESSAGE"),
        (
            {"key": "k", "scheduleExpression": "at(2020-01-01T00:00:00)"},
            "INVALID_SCHEDULE_EXPRESSION",
        ),
    ],
)
def test_server_write_validation(rig: Stack, payload: dict[str, Any], code: str) -> None:
    from opensock.errors import AppError

    with pytest.raises(AppError) as raised:
        server_set(rig, **payload)
    assert raised.value.code == code


def test_server_write_emits_without_connection_id(rig: Stack, publisher: FakePublisher) -> None:
    server_set(rig, key="k", data=1, emitPubSubEvent=True)
    server_set(rig, key="k", data=None, emitPubSubEvent=True)
    created, cleared = publisher.of_type("hotsock.channelStorageUpdated")
    assert created["metadata"] == {
        "channel": LOBBY,
        "hotsockVersion": "1.13.5",
        "key": "k",
        "trigger": "server.lambda",
    }
    assert (cleared["data"]["data"], cleared["data"]["dataPrevious"]) == (None, 1)


def test_scheduled_server_write_returns_the_schedule_arn(rig: Stack) -> None:
    response = server_set(rig, key="k", data=1, scheduleExpression="at(2026-06-01T00:00:00)")
    assert response["scheduleArn"].endswith("/1")
    assert rig.storage_entries.get(LOBBY, "k", rig.clock()) is None


def test_http_get_set_and_list(rig: Stack) -> None:
    for key in ["b", "a", "secret"]:
        server_set(rig, key=key, data=key)
    got = http_actions.channel_storage_get(call(rig, {"channel": LOBBY, "key": "a"}), rig.app)
    assert (got.status, got.body["data"]) == (200, "a")
    listed = http_actions.channel_storage_list(call(rig, {"channel": LOBBY}), rig.app)
    assert [i["key"] for i in listed.body["items"]] == ["a", "b"]
    after = http_actions.channel_storage_list(call(rig, {"channel": LOBBY, "after": "a"}), rig.app)
    assert [i["key"] for i in after.body["items"]] == ["b"]
    from opensock.errors import StorageSetPermissionDeniedError

    with pytest.raises(StorageSetPermissionDeniedError):
        http_actions.channel_storage_set(call(rig, {"channel": LOBBY, "key": "a"}), rig.app)


def test_admin_listing_pages_by_100(rig: Stack) -> None:
    for n in range(105):
        server_set(rig, key=f"k{n:03d}", data=n)
    request = HttpRequest("GET", ("channels", LOBBY, "storage"), {}, {}, "")
    first = http_actions.channel_storage(AdminCall({"name": LOBBY}, request), rig.app)
    assert len(first.body["items"]) == 100
    assert first.body["items"][0] == {"key": "k000", "data": 0, "meta": {"uid": None, "umd": None}}
    request = HttpRequest("GET", ("channels",), {"after": "k099", "keys": "k100,k104,zz"}, {}, "")
    second = http_actions.channel_storage(AdminCall({"name": LOBBY}, request), rig.app)
    assert [i["key"] for i in second.body["items"]] == ["k100", "k104"]


def test_snapshot_posts_observed_live_entries(rig: Stack, connections: FakeConnections) -> None:
    server_set(rig, key="settings", data={"maxPlayers": 4})
    server_set(rig, key="secret", data=1)
    server_set(rig, key="short", data=1, store=2)
    rig.clock.advance(2)  # type: ignore[attr-defined]
    reader = rig.connections.get("reader")
    only = {
        LOBBY: {
            "subscribe": True,
            "storage": {"*": {"observe": True}, "secret": {"observe": False}},
        }
    }
    subscription = subscribe(rig, reader, LOBBY, only)
    assert rig.app.storage.post_snapshot(subscription) == 1
    assert connections.frames["reader"] == [
        {
            "event": "hotsock.channelStorageUpdated",
            "channel": LOBBY,
            "key": "settings",
            "data": {"maxPlayers": 4},
            "meta": {"uid": None, "umd": None},
        }
    ]


@pytest.mark.parametrize("subscribed", [False, True])
def test_a_get_is_one_batch_read(rig: Stack, subscribed: bool) -> None:
    from tests.support.channels import count_dynamodb

    # GIVEN a stored entry, and a reader subscribed to the channel or not
    server_set(rig, key="rules", data={"rounds": 3})
    if subscribed:
        reader = rig.connections.get("reader")
        assert reader is not None
        subscribe(rig, reader, LOBBY)
    counter = count_dynamodb(rig)
    # WHEN the reader gets the entry
    answer = get(rig, "rules")
    # THEN connection, subscription and entry came in one BatchGetItem
    assert answer["data"] == {"rounds": 3}
    assert counter.by_operation() == {"BatchGetItem": 1}
