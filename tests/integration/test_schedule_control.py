"""Schedule control (extension, issue #19): list and cancel a channel's pending scheduled
messages and storage writes, by the server (publish API) and by clients (Client HTTP API,
within their `scheduleBefore` permissions), on moto."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from functions.publish.app import lambda_handler as publish
from tests.integration.test_http_api import request
from tests.support.fakes import FakeLambdaContext, FrozenClock
from tests.support.stack import Stack
from tests.support.storage import FakeScheduler, open_connection

LOBBY = "game.lobby"
NOW = 1_767_607_200.0  # 2026-01-05T10:00:00Z
AT = "at(2026-01-05T10:30:00)"
REFEREE = {
    LOBBY: {
        "storage": {"round": {"set": True, "scheduleBefore": 1_767_700_000}},
        "messages": {"*": {"publish": True}},
    }
}
PLAYER = {LOBBY: {"storage": {"round": {"set": True}, "player.*": {"set": True}}}}


@pytest.fixture
def rig(stack: Stack) -> Stack:
    stack.clock = FrozenClock(NOW)
    stack.scheduler = FakeScheduler()
    open_connection(stack, "ref", REFEREE, uid="referee")
    open_connection(stack, "p1", PLAYER, uid="p1")
    return stack


def server(rig: Stack, **payload: Any) -> Any:
    return publish({"channel": LOBBY, **payload}, FakeLambdaContext(), rig.app)


def client(rig: Stack, cid: str, action: str, **body: Any) -> tuple[int, Any]:
    creds = {"connectionId": cid, "connectionSecret": "s3cret"}
    status, reply, _ = request(rig, f"/connection/{action}", body, **creds)
    return status, reply


def test_the_server_lists_and_cancels_and_a_cancelled_schedule_is_gone(rig: Stack) -> None:
    # GIVEN a scheduled storage write and a scheduled message
    write = server(
        rig, event="hotsock.channelStorageSet", key="round", data="go", scheduleExpression=AT
    )
    message = server(rig, event="tick", data=1, scheduleExpression=AT)
    # WHEN the server lists the channel's schedules
    listed = server(rig, event="hotsock.listSchedules")
    # THEN both are there, in creation order
    assert listed == {
        "channel": LOBBY,
        "items": [
            {
                "id": write["scheduleArn"].rsplit("/", 1)[-1],
                "kind": "storageSet",
                "key": "round",
                "at": "2026-01-05T10:30:00Z",
                "uid": None,
                "scheduleArn": write["scheduleArn"],
            },
            {
                "id": message["scheduleArn"].rsplit("/", 1)[-1],
                "kind": "publish",
                "event": "tick",
                "at": "2026-01-05T10:30:00Z",
                "uid": None,
                "scheduleArn": message["scheduleArn"],
            },
        ],
    }
    # WHEN it cancels the write (twice)
    first = listed["items"][0]["id"]
    assert server(rig, event="hotsock.cancelSchedule", id=first) == {
        "channel": LOBBY,
        "id": first,
        "cancelled": True,
    }
    again = server(rig, event="hotsock.cancelSchedule", id=first)
    # THEN the schedule is deleted, the listing shrinks, the second cancel is refused
    assert rig.scheduler.schedules[0] is None  # type: ignore[attr-defined]
    assert [i["kind"] for i in server(rig, event="hotsock.listSchedules")["items"]] == ["publish"]
    assert again["error"]["code"] == "SCHEDULE_NOT_PENDING"


def test_a_fired_schedule_is_no_longer_pending(rig: Stack) -> None:
    server(rig, event="tick", data=1, scheduleExpression=AT)
    (item,) = server(rig, event="hotsock.listSchedules")["items"]
    rig.clock.advance(1800)  # type: ignore[attr-defined]
    assert server(rig, event="hotsock.listSchedules")["items"] == []
    refused = server(rig, event="hotsock.cancelSchedule", id=item["id"])
    assert refused["error"] == {
        "code": "SCHEDULE_NOT_PENDING",
        "message": "no pending schedule with this id: it fired, was cancelled or never existed",
    }


def test_clients_see_and_cancel_only_what_their_schedule_before_covers(rig: Stack) -> None:
    # GIVEN the referee's scheduled write of `round`, and a server message on the channel
    body = {"channel": LOBBY, "key": "round", "data": "go", "scheduleExpression": AT}
    assert client(rig, "ref", "channelStorageSet", **body)[0] == 202
    server(rig, event="tick", data=1, scheduleExpression=AT)
    # WHEN the referee lists: it sees its write (and no message: no scheduleBefore on events)
    status, listed = client(rig, "ref", "listSchedules", channel=LOBBY)
    assert status == 200 and [(i["kind"], i["uid"]) for i in listed["items"]] == [
        ("storageSet", "referee")
    ]
    # AND a player who may set `round` but not schedule it sees nothing and cannot cancel it
    assert client(rig, "p1", "listSchedules", channel=LOBBY) == (
        200,
        {"channel": LOBBY, "items": []},
    )
    schedule_id = listed["items"][0]["id"]
    status, refused = client(rig, "p1", "cancelSchedule", channel=LOBBY, id=schedule_id)
    assert (status, refused["error"]["code"]) == (404, "SCHEDULE_NOT_PENDING")
    # WHEN the referee cancels it, THEN it is gone
    assert client(rig, "ref", "cancelSchedule", channel=LOBBY, id=schedule_id) == (
        200,
        {"channel": LOBBY, "id": schedule_id, "cancelled": True},
    )
    assert client(rig, "ref", "listSchedules", channel=LOBBY)[1]["items"] == []
    status, refused = client(rig, "ref", "cancelSchedule", channel=LOBBY)
    assert (status, refused["error"]["code"]) == (400, "INVALID_MESSAGE")


def test_the_scheduler_adapter_cancels_once(aws: None) -> None:
    import boto3

    from opensock.adapters.scheduler import EventBridgeScheduler
    from tests.support.env import TEST_ENV

    # GIVEN a real (moto) one-time schedule
    group = TEST_ENV["SCHEDULE_GROUP_NAME"]
    client = boto3.client("scheduler")
    if group not in [g["Name"] for g in client.list_schedule_groups()["ScheduleGroups"]]:
        client.create_schedule_group(Name=group)
    role = "arn:aws:iam::123456789012:role/scheduler"
    target = "arn:aws:lambda:us-east-1:123456789012:function:scheduled"
    scheduler = EventBridgeScheduler(group, role, target, client)
    arn = scheduler.schedule(datetime(2030, 1, 1, tzinfo=UTC), "UTC", {"kind": "publish"})
    # WHEN it is cancelled twice, THEN only the first one deletes it
    assert scheduler.cancel_schedule(arn) is True
    assert scheduler.cancel_schedule(arn) is False
