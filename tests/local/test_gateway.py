"""The WebSocket API: handshake, routing, two-way replies, $disconnect, size limits."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import boto3
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def connection_item(stack: StackHandle, connection_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(
        stack.environment["TABLE_NAME"]
    )
    item: dict[str, Any] = table.get_item(Key={"pk": f"conn#{connection_id}", "sk": "conn"})["Item"]
    return item


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("deny", 403), ("crash", 500)])
def test_a_non_2xx_connect_refuses_the_handshake_with_that_status(
    fixture_stack: StackHandle, token: str | None, status: int
) -> None:
    # GIVEN a $connect handler that answers `status`
    async def scenario() -> None:
        await fixture_stack.connect(token)

    # WHEN the client opens the socket THEN the upgrade is refused with that status
    with pytest.raises(InvalidStatus) as refused:
        run(scenario())
    assert refused.value.response.status_code == status


def test_connect_gets_query_and_headers_and_cannot_post_before_it_returns(
    fixture_stack: StackHandle,
) -> None:
    # GIVEN a client with a query string and a User-Agent
    async def scenario() -> str:
        headers = {"User-Agent": "fixture-client/1.0"}
        async with fixture_stack.connect("ok", headers=headers, extra="1") as client:
            # THEN the first frame is the one posted by the async follow-up, after $connect
            hello = await client.recv_event("hello")
            return str(hello["connectionId"])

    connection_id = run(scenario())
    item = connection_item(fixture_stack, connection_id)
    assert item["query"] == {"token": "ok", "extra": "1"}
    assert item["multi"] == {"token": ["ok"], "extra": ["1"]}
    assert item["userAgent"] == "fixture-client/1.0"
    # AND the handler's own post during $connect got API Gateway's 410
    assert item["earlyPost"] == "GoneException"


def test_messages_route_on_event_with_default_fallback(fixture_stack: StackHandle) -> None:
    async def scenario() -> list[Any]:
        async with fixture_stack.connect("ok") as client:
            await client.recv_event("hello")
            await client.send({"event": "no.such.route", "data": 1})
            unknown = await client.recv_event("echo")
            await client.send("not json")
            not_json = await client.recv_event("echo")
            await client.send(b"\x00\x01")
            binary = await client.recv_event("echo")
            return [unknown, not_json, binary]

    unknown, not_json, binary = run(scenario())
    assert unknown["route"] == "$default"
    assert unknown["data"] == '{"event": "no.such.route", "data": 1}'
    assert not_json["data"] == "not json"
    assert binary == {"event": "echo", "data": "AAE=", "route": "$default", "base64": True}


def test_one_way_route_body_is_dropped_and_posts_arrive_in_order(
    fixture_stack: StackHandle,
) -> None:
    async def scenario() -> list[Any]:
        async with fixture_stack.connect("ok") as client:
            await client.recv_event("hello")
            await client.send({"event": "test.post"})
            frames = [await client.recv(), await client.recv()]
            await client.send("silent")  # two-way route answering without a body
            await client.send("last")
            frames.append(await client.recv())
            return frames

    first, second, last = run(scenario())
    assert first == {"event": "first"}
    assert second == {"event": "second", "sourceIp": "127.0.0.1"}
    assert last["data"] == "last"


def test_a_crashing_route_answers_internal_server_error(fixture_stack: StackHandle) -> None:
    async def scenario() -> Any:
        async with fixture_stack.connect("ok") as client:
            await client.recv_event("hello")
            await client.send("boom")
            return await client.recv()

    frame = run(scenario())
    assert frame["message"] == "Internal server error"
    assert set(frame) == {"message", "connectionId", "requestId"}


def test_a_warning_inside_a_handler_is_logged_not_raised(fixture_stack: StackHandle) -> None:
    # GIVEN pytest's filterwarnings=error in this process, and a handler that warns
    async def scenario() -> Any:
        async with fixture_stack.connect("ok") as client:
            await client.recv_event("hello")
            await client.send("warn")
            return await client.recv()

    # THEN the handler still answers, as it would in Lambda
    assert run(scenario())["data"] == "warn"


def test_disconnect_runs_after_close_with_the_client_status(fixture_stack: StackHandle) -> None:
    async def scenario() -> str:
        client = await fixture_stack.connect("ok")
        connection_id = (await client.recv_event("hello"))["connectionId"]
        await client.close(4001)
        return str(connection_id)

    connection_id = run(scenario())
    event = fixture_stack.wait_event(
        "test.disconnected", lambda e: e["data"]["id"] == connection_id
    )
    assert event["data"]["code"] == 4001


async def _closed_code(client: Any) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv(timeout=5)
    assert closed.value.rcvd is not None
    return int(closed.value.rcvd.code)


def test_a_frame_over_32_kb_closes_the_connection_with_1009(fixture_stack: StackHandle) -> None:
    async def scenario() -> int:
        client = await fixture_stack.connect("ok")
        await client.recv_event("hello")
        await client.send("x" * (32 * 1024 + 1))
        return await _closed_code(client)

    assert run(scenario()) == 1009


def test_a_fragmented_message_up_to_128_kb_passes(fixture_stack: StackHandle) -> None:
    async def scenario() -> Any:
        async with fixture_stack.connect("ok") as client:
            await client.recv_event("hello")
            await client.connection.send(["y" * (16 * 1024)] * 7)  # 112 KB in 16 KB frames
            return await client.recv_event("echo")

    assert len(run(scenario())["data"]) == 7 * 16 * 1024


def test_a_message_over_128_kb_closes_the_connection_with_1009(fixture_stack: StackHandle) -> None:
    async def scenario() -> int:
        client = await fixture_stack.connect("ok")
        await client.recv_event("hello")
        await client.connection.send(["z" * (16 * 1024)] * 9)  # 144 KB in 16 KB frames
        return await _closed_code(client)

    assert run(scenario()) == 1009


def test_a_client_still_sending_gets_the_1009_and_a_clean_closing_handshake(
    fixture_stack: StackHandle,
) -> None:
    # GIVEN a client that keeps sending fragments well past the 128 KB message limit
    async def scenario() -> tuple[str, ConnectionClosed]:
        client = await fixture_stack.connect("ok")
        connection_id = str((await client.recv_event("hello"))["connectionId"])
        with contextlib.suppress(ConnectionClosed):
            await client.connection.send(["z" * (16 * 1024)] * 64)  # 1 MB in 16 KB frames
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv(timeout=5)
        return connection_id, closed.value

    connection_id, closed = run(scenario())
    # THEN it reads the 1009, answers it, and TCP ends after the handshake, not with a reset
    # (closing with the client's frames unread would reset the connection and lose the 1009)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd_then_sent) == (1009, True)
    assert closed.__cause__ is None
    # AND $disconnect reports the gateway's status
    event = fixture_stack.wait_event(
        "test.disconnected", lambda e: e["data"]["id"] == connection_id
    )
    assert (event["data"]["code"], event["data"]["reason"]) == (1009, "Message too big")


def test_plain_http_to_the_websocket_url_needs_an_upgrade(fixture_stack: StackHandle) -> None:
    status, _, _ = fixture_stack.http("GET", "/v1")
    assert status == 426


def test_one_function_runs_one_invocation_at_a_time(fixture_stack: StackHandle) -> None:
    # GIVEN two clients whose $connect takes 0.3 s each, connecting at once
    async def scenario() -> list[str]:
        clients = await asyncio.gather(*(fixture_stack.connect("slow") for _ in range(2)))
        ids = [str((await c.recv_event("hello"))["connectionId"]) for c in clients]
        for client in clients:
            await client.close()
        return ids

    ids = run(scenario())
    # THEN ConnectFunction ran them one after the other, like one warm container
    runs = [
        (i["startedAt"], i["startedAt"] + i["durationMs"] / 1000)
        for i in fixture_stack.invocations("ConnectFunction")
        if i["event"]["requestContext"]["connectionId"] in ids
    ]
    (_, first_end), (second_start, _) = sorted(runs)
    assert second_start >= first_end
