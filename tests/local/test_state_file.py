"""`make dev` keeps its state across restarts (tools/local/state_file.py, issue #16): the table's
items and the pending schedules, in a file; a bad file is reported and set aside, never fatal;
`--fresh` starts empty. Connections do not survive: their `$disconnect` runs at start."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.local.harness import StackHandle, WsClient
from tools.local.__main__ import _state_file, parser
from tools.local.server import StackOptions
from tools.local.state_file import FORMAT, VERSION, StateFileError, parse
from tools.local.threaded import running_in_thread

pytestmark = pytest.mark.local


@contextmanager
def stack_with(state: Path) -> Iterator[StackHandle]:
    with running_in_thread(StackOptions(port=0, state_file=state)) as stack:
        handle = StackHandle(stack)
        yield handle
        handle.close()


def publish(stack: StackHandle, payload: dict[str, object]) -> None:
    headers = {"Authorization": f"Bearer {stack.publish_key}"}
    status, _, body = stack.http("POST", "/publish", payload, headers)
    assert status == 202, body


def admin(stack: StackHandle, path: str) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {stack.publish_key}"}
    status, _, body = stack.http("GET", path, None, headers)
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def at(seconds_from_now: int) -> str:
    return time.strftime("at(%Y-%m-%dT%H:%M:%S)", time.gmtime(time.time() + seconds_from_now))


async def subscribed(stack: StackHandle, channel: str) -> WsClient:
    token = stack.mint_token(uid="jim", channels={channel: {"subscribe": True}})
    client = await stack.connect(token)
    await client.recv_event("hotsock.connected")
    await client.send({"event": "hotsock.subscribe", "channel": channel})
    await client.recv_event("hotsock.subscribed")
    return client


def test_items_and_schedules_survive_a_restart_and_connections_do_not(tmp_path: Path) -> None:
    # GIVEN a stack with a storage entry, a pending scheduled publish and a subscriber
    state = tmp_path / "local-state.json"
    loop = asyncio.new_event_loop()  # the subscriber stays open until the stack has stopped
    with stack_with(state) as first:
        publish(
            first,
            {
                "channel": "room",
                "event": "hotsock.channelStorageSet",
                "key": "topic",
                "data": {"text": "lunch"},
            },
        )
        publish(
            first, {"channel": "room", "event": "remind", "data": 1, "scheduleExpression": at(3600)}
        )
        client = loop.run_until_complete(subscribed(first, "presence.room"))
        assert admin(first, "/channels/presence.room")["subscriptionsCount"] == 1
    loop.run_until_complete(client.close())
    loop.close()

    # WHEN the stack is started again on the same state file
    with stack_with(state) as second:
        # THEN the entry and the schedule are back
        storage = admin(second, "/channels/room/storage")
        assert [(i["key"], i["data"]) for i in storage["items"]] == [("topic", {"text": "lunch"})]
        schedules = json.loads(second.http("GET", "/_local/schedules")[2])
        assert [s["input"]["request"]["event"] for s in schedules] == ["remind"]
        # AND the connection that was open when it stopped is gone, with its subscription
        info = admin(second, "/channels/presence.room")
        assert info["subscriptionsCount"] == 0
        assert info.get("members", []) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        ('{"format": "something else"}', "not an opensock local state file"),
        (
            json.dumps({"format": FORMAT, "version": 0, "tables": {}, "schedules": []}),
            "format version 0",
        ),
        (
            json.dumps(
                {
                    "format": FORMAT,
                    "version": VERSION,
                    "tables": {"Table": [{"pk": "x"}]},
                    "schedules": [],
                }
            ),
            "DynamoDB JSON",
        ),
    ],
)
def test_a_bad_state_file_is_named(text: str, reason: str) -> None:
    with pytest.raises(StateFileError, match=reason):
        parse(text)


def test_a_corrupt_state_file_is_set_aside_and_the_stack_starts_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a state file that is not JSON
    state = tmp_path / "local-state.json"
    state.write_text("{half a file")

    # WHEN the stack starts
    with stack_with(state) as stack:
        # THEN it serves, empty, and the bad file was moved aside and reported
        assert admin(stack, "/channels/room/storage")["items"] == []
        aside = list(tmp_path.glob("local-state.json.corrupt-*"))
        assert len(aside) == 1
        assert aside[0].read_text() == "{half a file"
        assert "is unusable (not JSON" in caplog.text


def test_fresh_starts_empty_and_keeps_the_previous_file(tmp_path: Path) -> None:
    # GIVEN a saved state
    state = tmp_path / "local-state.json"
    state.write_text('{"format": "opensock-local-state"}')

    # WHEN make dev ARGS=--fresh
    args = parser().parse_args(["serve", "--fresh", "--state-file", str(state)])

    # THEN the stack gets the path, with nothing in it, and the old file is kept aside
    assert _state_file(args) == state
    assert not state.exists()
    assert (tmp_path / "local-state.json.previous").read_text() == (
        '{"format": "opensock-local-state"}'
    )
