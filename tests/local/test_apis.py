"""The management API, the Lambda Invoke API and the Function URLs, through real clients."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def error_code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


# --- management API ----------------------------------------------------------------------------


def test_management_api_answers_410_gone_for_an_unknown_id(fixture_stack: StackHandle) -> None:
    client = fixture_stack.management_client()
    dead = "Xy3dQe1EoAMCKpQ="
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=dead, Data=b"{}")
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=dead)
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=dead)


def test_management_api_posts_gets_and_deletes_a_live_connection(
    fixture_stack: StackHandle,
) -> None:
    client = fixture_stack.management_client()

    async def scenario() -> dict[str, Any]:
        ws = await fixture_stack.connect("ok", headers={"User-Agent": "agent/2"})
        connection_id = (await ws.recv_event("hello"))["connectionId"]
        await asyncio.to_thread(
            client.post_to_connection, ConnectionId=connection_id, Data=b'{"x":1}'
        )
        assert await ws.recv() == {"x": 1}
        info = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
        too_big = b"x" * (128 * 1024 + 1)
        with pytest.raises(ClientError) as refused:
            await asyncio.to_thread(
                client.post_to_connection, ConnectionId=connection_id, Data=too_big
            )
        assert error_code(refused.value) == "PayloadTooLargeException"
        await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
        await ws.connection.wait_closed()
        return {"id": connection_id, **info}

    info = asyncio.run(scenario())
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "agent/2"}
    assert info["LastActiveAt"] >= info["ConnectedAt"]
    # AND the deleted connection went through $disconnect
    fixture_stack.wait_event("test.disconnected", lambda e: e["data"]["id"] == info["id"])


# --- Lambda Invoke API ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "PublishFunction",
        "arn:aws:lambda:us-east-1:123456789012:function:PublishFunction",
        "arn:aws:lambda:us-east-1:123456789012:function:PublishFunction:$LATEST",
    ],
)
def test_invoke_by_logical_id_or_arn_returns_the_result(
    fixture_stack: StackHandle, name: str
) -> None:
    response = fixture_stack.lambda_client().invoke(FunctionName=name, Payload=b'{"channel": "c"}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert json.loads(response["Payload"].read()) == {"channel": "c", "event": None}


def test_invoke_by_deployed_function_name(fixture_stack: StackHandle) -> None:
    response = fixture_stack.lambda_client().invoke(
        FunctionName="opensock-local-scheduled", Payload=b'{"via": "deployed name"}'
    )
    assert response["StatusCode"] == 200
    event = fixture_stack.wait_event("test.scheduled", lambda e: e["data"]["input"].get("via"))
    assert event["data"]["input"] == {"via": "deployed name"}


def test_a_raising_handler_gives_function_error_unhandled(fixture_stack: StackHandle) -> None:
    response = fixture_stack.lambda_client().invoke(
        FunctionName="PublishFunction", Payload=b'{"raise": true}'
    )
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "publish failed"


def test_an_unknown_function_is_resource_not_found(fixture_stack: StackHandle) -> None:
    client = fixture_stack.lambda_client()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")


def test_event_invocations_answer_202_and_run_in_the_background(fixture_stack: StackHandle) -> None:
    response = fixture_stack.lambda_client().invoke(
        FunctionName="ScheduledFunction", InvocationType="Event", Payload=b'{"async": 1}'
    )
    assert response["StatusCode"] == 202
    fixture_stack.wait_event("test.scheduled", lambda e: e["data"]["input"] == {"async": 1})


def test_dry_run_answers_204(fixture_stack: StackHandle) -> None:
    response = fixture_stack.lambda_client().invoke(
        FunctionName="PublishFunction", InvocationType="DryRun"
    )
    assert response["StatusCode"] == 204


# --- Function URLs -------------------------------------------------------------------------------


def test_publish_url_takes_the_bearer_key(fixture_stack: StackHandle) -> None:
    body = {"channel": "orders.17", "event": "status"}
    auth = {
        "Authorization": f"Bearer {fixture_stack.publish_key}",
        "Content-Type": "application/json",
    }
    status, headers, raw = fixture_stack.http("POST", "/publish", body, auth)
    assert (status, json.loads(raw)) == (202, body)
    assert headers["Content-Type"] == "application/json"
    status, _, _ = fixture_stack.http("POST", "/publish", body, {"Authorization": "Bearer wrong"})
    assert status == 401


def test_http_api_url_gets_a_v2_event(fixture_stack: StackHandle) -> None:
    status, headers, raw = fixture_stack.http(
        "POST",
        "/connection/publishMessage?connectionId=Xy3dQe1EoAMCKpQ%3D&connectionSecret=s&a=1&a=2",
        {"channel": "c"},
        {"Content-Type": "application/json", "Cookie": "k=v; k2=v2"},
    )
    reflected = json.loads(raw)
    assert status == 200
    assert reflected["rawPath"] == "/connection/publishMessage"
    assert reflected["method"] == "POST"
    assert reflected["queryStringParameters"] == {
        "connectionId": "Xy3dQe1EoAMCKpQ=",
        "connectionSecret": "s",
        "a": "1,2",
    }
    assert reflected["cookies"] == ["k=v", "k2=v2"]
    assert json.loads(reflected["body"]) == {"channel": "c"}
    assert reflected["isBase64Encoded"] is False
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert headers["x-fixture"] == "yes"


def test_http_api_binary_and_plain_results(fixture_stack: StackHandle) -> None:
    status, headers, raw = fixture_stack.http("GET", "/connection/binary")
    assert (status, raw, headers["Content-Type"]) == (
        200,
        b"\x00\x01\xff",
        "application/octet-stream",
    )
    status, headers, raw = fixture_stack.http("GET", "/connection/plain")
    assert (status, json.loads(raw), headers["Content-Type"]) == (
        200,
        {"plain": True},
        "application/json",
    )
    _, _, raw = fixture_stack.http(
        "POST", "/channels/x", b"\x00\xff", {"Content-Type": "application/octet-stream"}
    )
    reflected = json.loads(raw)
    assert reflected["isBase64Encoded"] is True
    assert base64.b64decode(reflected["body"]) == b"\x00\xff"


def test_function_url_cors(fixture_stack: StackHandle) -> None:
    origin = {"Origin": "https://app.example.com"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    status, headers, _ = fixture_stack.http("OPTIONS", "/channels/x", None, preflight)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert headers["Access-Control-Max-Age"] == "300"
    assert not [
        i
        for i in fixture_stack.invocations("HttpApiFunction")
        if i["event"]["requestContext"]["http"]["method"] == "OPTIONS"
    ]
    _, headers, _ = fixture_stack.http("GET", "/channels/x", None, origin)
    assert (
        headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    )  # replaces the function's "*"
    assert headers["Access-Control-Expose-Headers"] == "x-fixture"
    _, headers, _ = fixture_stack.http(
        "GET", "/channels/x", None, {"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in headers
