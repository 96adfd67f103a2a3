"""History, reactions and resume end to end (issue #14): the local stack, the real handlers,
real WebSocket clients and real HTTP requests shaped as a browser sends them.

Jim and Pam chat on `chat.office` (`store: 86400`, `react: ["❤️","👍"]`); Pam hearts Jim's
message and Jim sees it; a 🎉 is refused and changes nothing; Michael subscribes later and pages
the history with `connection/listMessages` from a page on another origin (`text/plain` bodies,
and the CORS preflight of an `application/json` one); a `store: 1` message leaves history after
its TTL while the TTL sweeper lags; Pam reconnects with `resumeAfter` and gets exactly what she
missed, then live messages (PROTOCOL §7.7, §8.10, §15, §16; SERVER-API §2.6, §4.1–§4.4;
docs/extensions.md). Every frame and body is checked.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local.conftest import local_stack  # noqa: F401  (the stack fixture, module scope)
from tests.local.harness import StackHandle, WsClient
from tools.local.ttl import TtlSweeper

pytestmark = pytest.mark.local

TIMEOUT = 10.0
OFFICE = "chat.office"
HEART, THUMBS, PARTY = "❤️", "👍", "🎉"
PAGE_ORIGIN = "https://app.example.test"
BROWSER = {"Content-Type": "text/plain;charset=UTF-8", "Origin": PAGE_ORIGIN}


def grants(history_start: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "subscribe": True,
        "messages": {
            "chat": {"publish": True, "store": 86400, "react": [HEART, THUMBS]},
            "hotsock.messageReaction": {"echo": False},
        },
    }
    if history_start is not None:
        entry["historyStart"] = history_start
    return {"chat.*": entry}


@pytest.fixture
def lagging_ttl() -> Iterator[None]:
    """DynamoDB deletes expired items up to 48 h late: the local sweeper lags an hour here."""
    original = TtlSweeper.sweep

    def sweep(self: TtlSweeper, now: int | None = None) -> list[dict[str, Any]]:
        return original(self, int(time.time()) - 3600 if now is None else now)

    TtlSweeper.sweep = sweep  # type: ignore[method-assign]
    yield
    TtlSweeper.sweep = original  # type: ignore[method-assign]


async def open_client(
    stack: StackHandle, uid: str, umd: Any = None, history_start: int | None = None
) -> tuple[WsClient, dict[str, Any]]:
    token = stack.mint_token(uid=uid, umd=umd, channels=grants(history_start))
    client = await stack.connect(token)
    connected = await client.recv(TIMEOUT)
    assert connected["event"] == "hotsock.connected"
    return client, connected["data"]


async def subscribe(client: WsClient, uid: str, umd: Any = None, **data: Any) -> None:
    frame: dict[str, Any] = {"event": "hotsock.subscribe", "channel": OFFICE}
    if data:
        frame["data"] = data
    await client.send(frame)
    assert await client.recv(TIMEOUT) == {
        "event": "hotsock.subscribed",
        "channel": OFFICE,
        "data": {},
        "meta": {"uid": uid, "umd": umd},
    }


def chat(message_id: str, data: Any, uid: str, umd: Any = None) -> dict[str, Any]:
    return {
        "id": message_id,
        "event": "chat",
        "channel": OFFICE,
        "data": data,
        "meta": {"uid": uid, "umd": umd},
    }


async def say(sender: WsClient, receiver: WsClient, data: Any, uid: str) -> str:
    """Sender publishes; the receiver gets it (checked whole); its id."""
    await sender.send({"event": "chat", "channel": OFFICE, "data": data})
    frame: dict[str, Any] = await receiver.recv(TIMEOUT)
    assert frame == chat(frame["id"], data, uid)
    return str(frame["id"])


def api(
    stack: StackHandle,
    action: str,
    who: dict[str, Any],
    body: Any,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    """A Client HTTP API call as `fetch` sends it from another origin (text/plain body)."""
    query = urllib.parse.urlencode(
        {"connectionId": who["connectionId"], "connectionSecret": who["connectionSecret"]}
    )
    raw = json.dumps(body).encode()
    status, response_headers, payload = stack.http(
        "POST", f"/connection/{action}?{query}", raw, headers or BROWSER
    )
    assert response_headers["Access-Control-Allow-Origin"] in ("*", PAGE_ORIGIN)
    return status, response_headers, json.loads(payload)


def listing(stack: StackHandle, who: dict[str, Any], **body: Any) -> list[dict[str, Any]]:
    status, _, answer = api(stack, "listMessages", who, {"channel": OFFICE, **body})
    assert status == 200, answer
    messages: list[dict[str, Any]] = answer["messages"]
    return messages


def test_chat_history_reactions_and_resume(
    local_stack: StackHandle,  # noqa: F811
    lagging_ttl: None,
) -> None:
    stack = local_stack

    async def scenario() -> None:
        # GIVEN Jim and Pam on the office channel (Pam may read the whole history)
        jim, _ = await open_client(stack, "jim")
        pam, pam_data = await open_client(stack, "pam", {"name": "Pam"}, history_start=0)
        await subscribe(jim, "jim")
        await subscribe(pam, "pam", {"name": "Pam"})
        # WHEN Jim says hello, THEN Pam gets it
        hello = await say(jim, pam, "hello", "jim")
        # WHEN Pam adds ❤️, THEN Jim sees hotsock.messageReactionAdded (Pam has no echo)
        await pam.send(
            {
                "event": "hotsock.messageReaction",
                "channel": OFFICE,
                "data": {"messageId": hello, "reaction": HEART, "action": "add"},
            }
        )
        added = await jim.recv(TIMEOUT)
        assert added == {
            "id": added["id"],
            "event": "hotsock.messageReactionAdded",
            "channel": OFFICE,
            "data": {"messageId": hello, "reaction": HEART, "action": "add"},
            "meta": {"uid": "pam", "umd": {"name": "Pam"}},
        }
        assert added["id"] > hello
        # WHEN Pam sends a value outside the allow-list, THEN it is refused, nothing changes
        await pam.send(
            {
                "event": "hotsock.messageReaction",
                "channel": OFFICE,
                "data": {"messageId": hello, "reaction": PARTY, "action": "add"},
            }
        )
        refusal = await pam.recv(TIMEOUT)
        assert refusal == {
            "event": "hotsock.error",
            "channel": OFFICE,
            "error": {"code": "REACTION_PERMISSION_DENIED", "message": refusal["error"]["message"]},
        }
        [first] = listing(stack, pam_data)
        assert first == {**chat(hello, "hello", "jim"), "reactions": {HEART: {"count": 1}}}
        status, _, reactions = api(
            stack, "listReactions", pam_data, {"channel": OFFICE, "messageId": hello}
        )
        assert (status, reactions) == (
            200,
            {"reactions": [{"reaction": HEART, "uid": "pam", "umd": {"name": "Pam"}}]},
        )

        # WHEN Jim writes 104 more messages (a history of 105), THEN Pam receives each
        ids = [hello] + [await say(jim, pam, n, "jim") for n in range(104)]
        assert ids == sorted(ids)

        # GIVEN Michael, who joins later with the whole history, from a page on another origin
        michael, michael_data = await open_client(stack, "michael", history_start=0)
        await subscribe(michael, "michael")
        page1 = listing(stack, michael_data)
        page2 = listing(stack, michael_data, after=page1[-1]["id"])
        assert [m["id"] for m in page1] == ids[:100] and [m["id"] for m in page2] == ids[100:]
        assert page1[0] == first and page2[-1] == chat(ids[-1], 103, "jim")
        assert all("reactions" not in m for m in page1[1:] + page2)
        newest = listing(stack, michael_data, reverse=True)
        older = listing(stack, michael_data, reverse=True, before=newest[-1]["id"])
        assert [m["id"] for m in newest + older] == ids[::-1]
        expanded = listing(stack, michael_data, expandReactions=True)
        assert expanded[0]["reactions"] == {
            HEART: {"count": 1, "items": [{"uid": "pam", "umd": {"name": "Pam"}}]}
        }
        assert expanded[1]["reactions"] == {}
        # the same call with `Content-Type: application/json` is preflighted first
        preflight = stack.http(
            "OPTIONS",
            "/connection/listMessages",
            None,
            {
                "Origin": PAGE_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight[0] == 200
        assert preflight[1]["Access-Control-Allow-Origin"] in ("*", PAGE_ORIGIN)
        assert "POST" in preflight[1]["Access-Control-Allow-Methods"]
        assert "content-type" in preflight[1]["Access-Control-Allow-Headers"].lower()
        json_headers = {"Content-Type": "application/json", "Origin": PAGE_ORIGIN}
        status, _, answer = api(
            stack, "listMessages", michael_data, {"channel": OFFICE}, json_headers
        )
        assert status == 200 and [m["id"] for m in answer["messages"]] == ids[:100]

        # a user without historyStart sees nothing from before its subscription
        dwight, dwight_data = await open_client(stack, "dwight")
        await subscribe(dwight, "dwight")
        assert listing(stack, dwight_data) == []
        status, _, reactions = api(
            stack, "listReactions", dwight_data, {"channel": OFFICE, "messageId": hello}
        )
        assert (status, reactions) == (200, {"reactions": []})

        # WHEN the server stores a message for 1 s, THEN it leaves history after its TTL while
        # the item is still in the table (the sweeper lags)
        short = invoke(stack, {"channel": OFFICE, "event": "chat", "data": "brb", "store": 1})
        assert short == {"channel": OFFICE, "event": "chat"}
        brb = await michael.recv(TIMEOUT)
        assert brb == {"id": brb["id"], "event": "chat", "channel": OFFICE, "data": "brb"}
        for client in (jim, pam, dwight):
            assert (await client.recv(TIMEOUT))["id"] == brb["id"]
        assert listing(stack, michael_data, after=ids[-1]) == [
            {**brb, "meta": {"uid": None, "umd": None}}
        ]
        await asyncio.sleep(max(0.0, expiry_of(stack, brb["id"]) - time.time()) + 0.05)
        assert listing(stack, michael_data, after=ids[-1]) == []
        assert still_stored(stack, brb["id"])

        # WHEN Pam drops off, Jim writes twice, and Pam reconnects with resumeAfter
        await pam.close()
        missed = [await say(jim, michael, f"missed {n}", "jim") for n in range(2)]
        pam2, _ = await open_client(stack, "pam", {"name": "Pam"}, history_start=0)
        await subscribe(pam2, "pam", {"name": "Pam"}, resumeAfter=brb["id"])
        # THEN she gets exactly what she missed, in order, then live messages
        for n, message_id in enumerate(missed):
            assert await pam2.recv(TIMEOUT) == chat(message_id, f"missed {n}", "jim")
        await wait_resumed(stack)
        live = await say(jim, pam2, "welcome back", "jim")
        assert live > missed[-1]
        for client in (jim, michael, dwight, pam2):
            await client.close()

    asyncio.run(scenario())


def invoke(stack: StackHandle, payload: dict[str, Any]) -> dict[str, Any]:
    response = stack.lambda_client().invoke(
        FunctionName="PublishFunction", Payload=json.dumps(payload).encode()
    )
    assert "FunctionError" not in response
    result: dict[str, Any] = json.loads(response["Payload"].read())
    return result


def _item(stack: StackHandle, message_id: str) -> dict[str, Any] | None:
    """The stored item, read from the stack's moto (this process) without any filter."""
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    response = client.get_item(
        TableName=stack.environment["TABLE_NAME"],
        Key={"pk": {"S": f"chan#{OFFICE}"}, "sk": {"S": f"msg#{message_id}"}},
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


def expiry_of(stack: StackHandle, message_id: str) -> float:
    item = _item(stack, message_id)
    assert item is not None
    return float(item["expiresAt"]["N"])


def still_stored(stack: StackHandle, message_id: str) -> bool:
    return _item(stack, message_id) is not None


async def wait_resumed(stack: StackHandle) -> None:
    """Until the resuming subscribe has returned (its hand-off to the live fan-out is over)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        running = [
            i
            for i in await asyncio.to_thread(stack.invocations, "SubscribeFunction")
            if i["durationMs"] is None
        ]
        if not running:
            return
        assert time.monotonic() < deadline, "the resume did not finish"
        await asyncio.sleep(0.05)
