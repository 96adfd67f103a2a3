"""`$connect`: the token decides the handshake; an accepted connection is stored and announced."""

from __future__ import annotations

import time
from typing import Any

import pytest

from functions.connect.app import lambda_handler
from tests.support.events import ws_event
from tests.support.fakes import FakeInvoker, FakeLambdaContext
from tests.support.stack import Stack
from tests.support.tokens import mint

CID = "Xy3dQe1EoAMCKpQ="


def connect(token: str | None, stack: Stack, context: FakeLambdaContext) -> Any:
    query = {} if token is None else {"token": token}
    return lambda_handler(ws_event("connect", connection_id=CID, query=query), context, stack.app)


def test_accepted_connection_is_persisted_with_its_grants(
    stack: Stack, context: FakeLambdaContext, invoker: FakeInvoker
) -> None:
    # GIVEN a connect token with a uid, umd and channel grants
    claims = {"uid": "Jim", "umd": {"name": "Jim"}, "channels": {"chat": {"subscribe": True}}}
    before = time.time()
    # WHEN the client opens the socket with it
    response = connect(mint(claims), stack, context)
    # THEN the handshake succeeds and the connection is stored with a fresh secret
    assert response == {"statusCode": 200}
    connection = stack.connections.get(CID)
    assert connection is not None
    assert (connection.uid, connection.umd) == ("Jim", {"name": "Jim"})
    assert connection.grants == {"chat": {"subscribe": True}}
    assert len(connection.secret) >= 20 and connection.secret.isalnum()
    assert connection.source_ip == "203.0.113.9"
    assert connection.user_agent is not None and connection.user_agent.startswith("Mozilla/5.0")
    assert before - 1 <= connection.expires_at - 7200 <= time.time() + 1
    # AND the follow-up that sends `hotsock.connected` was invoked asynchronously
    assert invoker.calls == [
        (
            stack.settings.connected_function_name,
            {
                "connectionId": CID,
                "connectedAt": pytest.approx(connection.connected_at),
                "requestId": context.aws_request_id,
            },
        )
    ]


def test_each_connection_gets_its_own_secret(stack: Stack, context: FakeLambdaContext) -> None:
    secrets = set()
    for index in range(3):
        event = ws_event("connect", connection_id=f"conn-{index}=", query={"token": mint()})
        assert lambda_handler(event, context, stack.app) == {"statusCode": 200}
        connection = stack.connections.get(f"conn-{index}=")
        assert connection is not None
        secrets.add(connection.secret)
    assert len(secrets) == 3


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        ("", 401),
        ("garbage", 401),
        (mint(scope="subscribe"), 403),
        (mint({"connectionId": CID}), 403),
        (mint(ttl=-10), 401),
    ],
    ids=["missing", "empty", "garbage", "subscribe-scope", "connection-id-claim", "expired"],
)
def test_refused_token_refuses_handshake_and_writes_nothing(
    token: str | None,
    status: int,
    stack: Stack,
    context: FakeLambdaContext,
    invoker: FakeInvoker,
) -> None:
    response = connect(token, stack, context)
    assert response == {"statusCode": status}
    assert stack.connections.get(CID) is None
    assert invoker.calls == []


def test_single_use_token_opens_one_connection_only(
    stack: Stack, context: FakeLambdaContext
) -> None:
    token = mint({"singleUse": True, "jti": "0b6f5a1e-4d1c-4a44-9b0e-6f8f3b0f8a11"})
    assert connect(token, stack, context) == {"statusCode": 200}
    second = ws_event("connect", connection_id="other=", query={"token": token})
    assert lambda_handler(second, context, stack.app) == {"statusCode": 401}
    assert stack.connections.get("other=") is None


def test_nbf_refusal_does_not_consume_single_use_token(
    stack: Stack, context: FakeLambdaContext
) -> None:
    jti = "5f0c7c1e-0000-4a44-9b0e-6f8f3b0f8a11"
    early = mint({"singleUse": True, "jti": jti, "nbf": int(time.time()) + 600})
    assert connect(early, stack, context) == {"statusCode": 401}
    valid = mint({"singleUse": True, "jti": jti})
    assert connect(valid, stack, context) == {"statusCode": 200}
