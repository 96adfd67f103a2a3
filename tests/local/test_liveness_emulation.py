"""What the local stack plays for connection liveness: MOCK routes (API Gateway answers without
a function), `lastActiveAt` from client frames only, `rate()` schedules (time-compressible),
and dropping a socket without `$disconnect`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.local.harness import StackHandle
from tools.local.intrinsics import LocalWorld
from tools.local.rates import RatePlayer, rate_period
from tools.local.template import DEFAULT_TEMPLATE, load_local_template
from tools.local.wiring import EventSource, event_sources

pytestmark = pytest.mark.local


def test_mock_routes_answer_from_their_template_and_run_no_function(
    fixture_stack: StackHandle,
) -> None:
    async def scenario() -> str:
        async with fixture_stack.connect("ok") as client:
            await client.recv_event("hello")
            await client.send({"event": "test.silent"})  # one-way: nothing comes back
            await client.send({"event": "test.mock"})
            return str(await asyncio.wait_for(client.connection.recv(), 5))

    assert asyncio.run(scenario()) == '{"mocked":true}'
    routes = {
        i["event"].get("requestContext", {}).get("routeKey") for i in fixture_stack.invocations()
    }
    assert not routes & {"test.mock", "test.silent"}


def test_last_active_at_moves_on_client_frames_not_on_posts(fixture_stack: StackHandle) -> None:
    management = fixture_stack.management_client()

    async def scenario() -> list[Any]:
        async with fixture_stack.connect("ok") as client:
            connection_id = (await client.recv_event("hello"))["connectionId"]
            seen = [await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)]
            await asyncio.to_thread(
                management.post_to_connection, ConnectionId=connection_id, Data=b'{"n":1}'
            )
            await client.recv(timeout=5)
            seen.append(
                await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)
            )
            await client.send({"event": "test.mock"})
            await client.recv(timeout=5)
            seen.append(
                await asyncio.to_thread(management.get_connection, ConnectionId=connection_id)
            )
            return [s["LastActiveAt"] for s in seen]

    at_hello, after_post, after_frame = asyncio.run(scenario())
    assert after_post == at_hello < after_frame


def test_drop_closes_without_disconnect(fixture_stack: StackHandle) -> None:
    async def scenario() -> str:
        client = await fixture_stack.connect("ok")
        connection_id = str((await client.recv_event("hello"))["connectionId"])
        quoted = connection_id.replace("=", "%3D")
        # the answer comes once the socket is closed and `$disconnect` was skipped
        status = await asyncio.to_thread(
            fixture_stack.http, "POST", f"/_local/connections/{quoted}/drop"
        )
        assert status[0] == 204
        await asyncio.wait_for(client.connection.wait_closed(), 5)
        return connection_id

    connection_id = asyncio.run(scenario())
    ran = [
        i["event"]["requestContext"]["connectionId"]
        for i in fixture_stack.invocations("DisconnectFunction")
    ]
    assert connection_id not in ran
    assert fixture_stack.http("POST", "/_local/connections/nobody%3D/drop")[0] == 404


def test_schedule_v2_rates_are_read_from_the_template_and_played() -> None:
    # GIVEN the real template's LivenessFunction sweep
    template = load_local_template(DEFAULT_TEMPLATE, LocalWorld(port=0))
    (sweep,) = [s for s in event_sources(template) if s.kind == "ScheduleV2"]
    assert (sweep.function, sweep.source, sweep.schedule_input) == (
        "LivenessFunction",
        "rate(1 minute)",
        {"kind": "sweep"},
    )
    assert rate_period("rate(1 minute)") == 60
    assert rate_period("rate(2 hours)") == 7200
    assert rate_period("cron(0 * * * ? *)") is None

    # WHEN played with a compressed period THEN the function is dispatched with the input
    async def play() -> list[tuple[str, Any]]:
        calls: list[tuple[str, Any]] = []
        twice = asyncio.Event()

        def dispatch(function: str, event: Any) -> None:
            calls.append((function, event))
            if len(calls) == 2:
                twice.set()

        task = asyncio.create_task(RatePlayer(sweep, dispatch, rate_seconds=0.01).run())
        await asyncio.wait_for(twice.wait(), 5)
        task.cancel()
        return calls

    assert asyncio.run(play())[:2] == [("LivenessFunction", {"kind": "sweep"})] * 2


def test_cron_schedules_are_reported_not_played() -> None:
    source = EventSource("ScheduleV2", "F", "cron(0 12 * * ? *)", 1, False, (), {})
    asyncio.run(asyncio.wait_for(RatePlayer(source, lambda f, e: None).run(), 5))


def test_liveness_settings_pass_through_from_the_shell() -> None:
    from tools.local.environment import handler_environment

    template = load_local_template(DEFAULT_TEMPLATE, LocalWorld(port=0))
    defaults = handler_environment(template, {}).variables
    assert defaults["KEEP_ALIVE_INTERVAL_SECONDS"] == "570"
    assert defaults["PRESENCE_LEAVE_GRACE_SECONDS"] == "0"  # exactly Hotsock
    shell = {"KEEP_ALIVE_INTERVAL_SECONDS": "5", "PRESENCE_LEAVE_GRACE_SECONDS": "3"}
    variables = handler_environment(template, shell).variables
    assert variables["KEEP_ALIVE_INTERVAL_SECONDS"] == "5"
    assert variables["PRESENCE_LEAVE_GRACE_SECONDS"] == "3"
