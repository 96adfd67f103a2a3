"""The console's local-only endpoints (`/_local/...`, issue #16) and the pages make dev serves."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import jwt
import pytest

from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def post(stack: StackHandle, path: str, body: Any) -> Any:
    status, _, raw = stack.http("POST", path, body)
    assert status == 200, raw
    return json.loads(raw)


def test_pages_are_served(local_stack: StackHandle) -> None:
    for path, marker in [
        ("/", b"/console/main.js"),
        ("/examples/chat/", b"/examples/chat/chat.js"),
        ("/console/console.css", b":root"),
    ]:
        status, _, body = local_stack.http("GET", path)
        assert status == 200 and marker in body, path
    config = json.loads(local_stack.http("GET", "/_local/console")[2])
    assert config == {
        "local": True,
        "wsUrl": local_stack.ws_url,
        "httpApiUrl": local_stack.http_url,
    }


def test_mint_then_check(local_stack: StackHandle) -> None:
    # WHEN a token is minted from claims
    token = post(local_stack, "/_local/tokens", {"claims": {"uid": "jim"}, "scope": "connect"})
    # THEN the stack's own verifier accepts it
    verdict = post(local_stack, "/_local/tokens/check", {"token": token["token"]})
    assert verdict["ok"] is True
    assert verdict["claims"]["uid"] == "jim"
    assert verdict["header"]["alg"] == "HS256"


@pytest.mark.parametrize(
    ("claims", "ttl", "problem", "code"),
    [
        ({"uid": "jim"}, -5, "token expired", "INVALID_TOKEN"),
        ({"uid": "jim", "connectionId": "x"}, 60, "connectionId not allowed", "TOKEN_NOT_ALLOWED"),
        ({"uid": "jim", "heartbeatTimeout": 1}, 60, "heartbeatTimeout", "INVALID_TOKEN"),
    ],
)
def test_check_names_the_problem(
    local_stack: StackHandle, claims: dict[str, Any], ttl: int, problem: str, code: str
) -> None:
    token = post(local_stack, "/_local/tokens", {"claims": claims, "ttl": ttl})["token"]
    verdict = post(local_stack, "/_local/tokens/check", {"token": token})
    assert (verdict["ok"], verdict["code"]) == (False, code)
    assert problem in verdict["problem"]


def test_check_of_a_token_from_another_installation(local_stack: StackHandle) -> None:
    foreign = jwt.encode({"scope": "connect", "exp": 4102444800}, "x" * 40)
    verdict = post(local_stack, "/_local/tokens/check", {"token": foreign})
    assert (verdict["ok"], verdict["problem"], verdict["status"]) == (
        False,
        "signature verification failed",
        401,
    )


def test_table_items_of_a_channel_and_pending_schedules(local_stack: StackHandle) -> None:
    # GIVEN a storage entry and a scheduled publish on a channel
    headers = {"Authorization": f"Bearer {local_stack.publish_key}"}
    write = {"channel": "inspect", "event": "hotsock.channelStorageSet", "key": "k", "data": 1}
    later = {"channel": "inspect", "event": "e", "scheduleExpression": "at(2099-01-01T00:00:00)"}
    for payload in (write, later):
        assert local_stack.http("POST", "/publish", payload, headers)[0] == 202

    # WHEN the console reads them
    table = json.loads(local_stack.http("GET", "/_local/table?channel=inspect")[2])
    schedules = json.loads(local_stack.http("GET", "/_local/schedules")[2])

    # THEN
    entries = [i for i in table["items"] if i["sk"].startswith("storage#")]
    assert [(i["sk"], i["data"]) for i in entries] == [("storage#k", "1")]
    # (and the schedule's record for schedule control, docs/extensions.md)
    assert [i["kind"] for i in table["items"] if i["sk"].startswith("sched#")] == ["publish"]
    mine = [s for s in schedules if s["input"]["request"]["channel"] == "inspect"]
    assert [(s["firesAt"], s["input"]["kind"]) for s in mine] == [
        ("2099-01-01T00:00:00Z", "publish")
    ]


def test_pub_sub_events_stream_as_server_sent_events(local_stack: StackHandle) -> None:
    # GIVEN an event recorded
    headers = {"Authorization": f"Bearer {local_stack.publish_key}"}
    payload = {"channel": "sse", "event": "e", "emitPubSubEvent": True}
    assert local_stack.http("POST", "/publish", payload, headers)[0] == 202
    local_stack.wait_event("hotsock.messagePublished", lambda e: e["data"]["channel"] == "sse")

    # WHEN the stream is read
    request = urllib.request.Request(local_stack.http_url + "/_local/events/stream")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        first = response.readline().decode()
        found = None
        while found is None:
            line = response.readline().decode()
            envelope = json.loads(line[6:]) if line.startswith("data: ") else {}
            if envelope.get("type") == "hotsock.messagePublished":
                found = envelope

    # THEN each envelope is one `data:` line (its index is the event id)
    assert first == "retry: 1000\n"
    assert found["data"]["channel"] == "sse"
