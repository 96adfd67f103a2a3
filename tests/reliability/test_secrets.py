"""Secrets never leak, and credentials are compared in constant time (issue #8, STYLE §4.9).

Tokens, signing keys, API keys and connection secrets must not appear in any log line (the
Powertools logger at DEBUG, plus the EMF metrics on stdout) nor in any answer a client or
backend receives. API keys and connection secrets are compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import hmac
import io
from collections.abc import Iterable
from typing import Any

import pytest

from tests.reliability.drive import http, ws
from tests.reliability.kit import CONNECTION_ID, UID, TokenKit, corpus_for
from tests.support.channels import open_connection
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import ws_event
from tests.support.stack import Stack

CONNECTED = "functions.connected.app"


def secrets_of(kit: TokenKit) -> list[str]:
    """Key material that must never be printed, in every encoding it exists in."""
    pem = kit.rsa_public_pem.decode()
    body = "".join(pem.splitlines()[1:-1])
    return [
        kit.hs_secret.decode(),
        base64.b64encode(kit.hs_secret).decode(),
        body[40:100],  # a slice of the public key body (public, but still configuration)
        PUBLISH_API_KEY,
    ]


def fragments(token: str) -> list[str]:
    """The token and its signature: neither may be echoed (short junk is not a secret)."""
    parts = [token] if len(token) >= 24 else []
    pieces = token.split(".")
    if len(pieces) == 3 and len(pieces[2]) >= 16:
        parts.append(pieces[2])
    return parts


def assert_absent(needles: Iterable[str], *haystacks: str) -> None:
    text = "\n".join(haystacks)
    for needle in needles:
        assert needle not in text, f"secret leaked: {needle[:12]}…"


def everything_printed(logs: io.StringIO, capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return logs.getvalue() + captured.out + captured.err


def test_logs_are_captured_at_debug(
    rel_stack: Stack, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    # positive control: the capture sees the refusal log line and the metric
    ws(rel_stack, "connect", cid="c1")
    printed = everything_printed(logs, capsys)
    assert '"request refused"' in printed
    assert "RequestRefused" in printed


def test_connect_refusals_never_print_the_token(
    rel_stack: Stack, kit: TokenKit, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    checked = 0
    for case in corpus_for("connect"):
        token = case.build(kit, "connect")
        event = ws_event("connect", connection_id=CONNECTION_ID, query={"token": token})
        from tests.reliability.drive import ws_raw

        response = ws_raw(rel_stack, "connect", event)
        printed = everything_printed(logs, capsys)
        assert "body" not in response
        assert_absent([*fragments(token), *secrets_of(kit)], printed)
        checked += 1
    assert checked >= 40


def test_a_successful_connect_and_announce_never_print_token_or_secret(
    rel_stack: Stack, kit: TokenKit, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.reliability.drive import handler
    from tests.support.fakes import FakeLambdaContext

    token = kit.rs256(kit.good("connect"))
    event = ws_event("connect", connection_id=CONNECTION_ID, query={"token": token})
    from tests.reliability.drive import ws_raw

    assert ws_raw(rel_stack, "connect", event) == {"statusCode": 200}
    _, payload = rel_stack.invoker.calls[0]  # type: ignore[attr-defined]
    handler(CONNECTED)(payload, FakeLambdaContext(), app=rel_stack.app)
    secret = rel_stack.connections.get(CONNECTION_ID).secret  # type: ignore[union-attr]
    assert_absent([*fragments(token), secret, *secrets_of(kit)], everything_printed(logs, capsys))
    # the secret goes to its owner only, in hotsock.connected
    frame = rel_stack.gateway.frames[CONNECTION_ID][0]  # type: ignore[attr-defined]
    assert frame["data"]["connectionSecret"] == secret
    assert "secret" not in str(payload).lower()


@pytest.mark.parametrize("scope", ["subscribe", "umd"])
def test_targeted_token_refusals_never_echo_the_token(
    rel_stack: Stack,
    kit: TokenKit,
    logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
    scope: str,
) -> None:
    member = open_connection(rel_stack, CONNECTION_ID, {}, uid=UID)
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": member.secret}
    for case in corpus_for(scope):
        token = case.build(kit, scope)
        if scope == "subscribe":
            body = {"event": "hotsock.subscribe", "channel": "room", "data": {"token": token}}
            _, frame = ws(rel_stack, "subscribe", body, cid=CONNECTION_ID)
            answers = [str(frame)]
        else:
            body = {"event": "hotsock.umdUpdate", "data": {"token": token}}
            _, frame = ws(rel_stack, "umd_update", body, cid=CONNECTION_ID)
            _, reply, response = http(
                rel_stack, "/connection/umdUpdate", {"token": token}, query=creds
            )
            answers = [str(frame), str(reply), str(response.get("headers"))]
        printed = everything_printed(logs, capsys)
        assert_absent([*fragments(token), member.secret, *secrets_of(kit)], printed, *answers)


def test_http_refusals_never_print_secrets_or_keys(
    rel_stack: Stack, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    member = open_connection(rel_stack, CONNECTION_ID, {"room": {"subscribe": True}}, uid=UID)
    guess = "g" * len(member.secret)
    answers: list[str] = []
    for query in (
        {"connectionId": CONNECTION_ID, "connectionSecret": guess},
        {"connectionId": "Other1Conn=", "connectionSecret": member.secret},
    ):
        answers.append(str(http(rel_stack, "/connection/publishMessage", {}, query=query)))
    wrong_key = "k" * len(PUBLISH_API_KEY)
    for authorization in (f"Bearer {wrong_key}", f"Basic {PUBLISH_API_KEY}x"):
        answers.append(
            str(
                http(
                    rel_stack,
                    "/publish",
                    {"channel": "c", "event": "e"},
                    authorization=authorization,
                    function="functions.publish.app",
                )
            )
        )
        answers.append(
            str(http(rel_stack, "/channels/room", method="GET", authorization=authorization))
        )
    printed = everything_printed(logs, capsys)
    assert_absent([member.secret, guess, PUBLISH_API_KEY, wrong_key], printed, *answers)


def test_an_internal_error_frame_is_generic(
    rel_stack: Stack, kit: TokenKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a dependency that fails with a message carrying a secret
    token = kit.rs256(kit.good("subscribe"))
    open_connection(rel_stack, CONNECTION_ID, {}, uid=UID)

    def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError(f"boom {token} {kit.hs_secret.decode()}")

    monkeypatch.setattr(rel_stack.subscriptions, "put", explode)
    monkeypatch.setattr(rel_stack.subscriptions, "join", explode)
    monkeypatch.setattr(rel_stack.members, "join", explode, raising=False)
    body = {"event": "hotsock.subscribe", "channel": "room", "data": {"token": token}}
    # WHEN the route crashes
    _, frame = ws(rel_stack, "subscribe", body, cid=CONNECTION_ID)
    # THEN the client sees the generic INTERNAL_ERROR frame and nothing of the exception
    assert frame == {
        "event": "hotsock.error",
        "channel": "room",
        "error": {"code": "INTERNAL_ERROR", "message": "internal error"},
    }


# --- constant-time comparisons --------------------------------------------------------------
class DigestSpy:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any]] = []
        self._real = hmac.compare_digest

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return self._real(a, b)


@pytest.fixture
def digest_spy(monkeypatch: pytest.MonkeyPatch) -> DigestSpy:
    spy = DigestSpy()
    monkeypatch.setattr(hmac, "compare_digest", spy)
    return spy


@pytest.mark.parametrize(
    "given",
    [
        PUBLISH_API_KEY,
        "x" * len(PUBLISH_API_KEY),
        PUBLISH_API_KEY[:-1] + ("A" if PUBLISH_API_KEY[-1] != "A" else "B"),
        PUBLISH_API_KEY[:-1],
        PUBLISH_API_KEY + "0",
        "",
    ],
    ids=["right", "same length", "last char", "one shorter", "one longer", "empty"],
)
def test_api_keys_are_compared_in_constant_time(
    rel_stack: Stack, digest_spy: DigestSpy, given: str
) -> None:
    status, reply, response = http(
        rel_stack,
        "/publish",
        {"channel": "c", "event": "e"},
        authorization=f"Bearer {given}",
        function="functions.publish.app",
    )
    if given == PUBLISH_API_KEY:
        assert status == 202
    else:
        assert (status, reply["error"]["code"]) == (401, "UNAUTHORIZED")
        assert response["headers"]["WWW-Authenticate"] == "Bearer"
    if given:
        # every configured key was compared with compare_digest, never with ==
        assert (given.encode(), PUBLISH_API_KEY.encode()) in digest_spy.calls


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", f"bearer{PUBLISH_API_KEY}", f"Token {PUBLISH_API_KEY}"],
)
def test_malformed_authorization_is_refused(rel_stack: Stack, authorization: str) -> None:
    status, reply, _ = http(rel_stack, "/channels/room", method="GET", authorization=authorization)
    assert (status, reply["error"]["code"]) == (401, "UNAUTHORIZED")


def test_connection_secrets_are_compared_in_constant_time(
    rel_stack: Stack, digest_spy: DigestSpy
) -> None:
    member = open_connection(rel_stack, CONNECTION_ID, {}, uid=UID)
    wrong = "z" * len(member.secret)
    status, _, _ = http(
        rel_stack,
        "/connection/channelStorageGet",
        {"channel": "room", "key": "k"},
        query={"connectionId": CONNECTION_ID, "connectionSecret": wrong},
    )
    assert status == 401
    assert (member.secret.encode(), wrong.encode()) in digest_spy.calls


# --- Client HTTP API credentials (SERVER-API §4.1) -------------------------------------------
def _creds_cases(member: Any, other: Any) -> list[tuple[str, dict[str, str]]]:
    return [
        ("no credentials", {}),
        ("id only", {"connectionId": member.connection_id}),
        ("secret only", {"connectionSecret": member.secret}),
        ("empty secret", {"connectionId": member.connection_id, "connectionSecret": ""}),
        ("wrong secret", {"connectionId": member.connection_id, "connectionSecret": "x" * 32}),
        (
            "secret prefix",
            {"connectionId": member.connection_id, "connectionSecret": member.secret[:-1]},
        ),
        (
            "secret + suffix",
            {"connectionId": member.connection_id, "connectionSecret": member.secret + "x"},
        ),
        (
            "another connection's id",
            {"connectionId": other.connection_id, "connectionSecret": member.secret},
        ),
        (
            "another connection's secret",
            {"connectionId": member.connection_id, "connectionSecret": other.secret},
        ),
        ("unknown id", {"connectionId": "Nope1Conn=", "connectionSecret": member.secret}),
        ("id with wildcard", {"connectionId": "*", "connectionSecret": member.secret}),
    ]


@pytest.mark.parametrize(
    "action",
    ["publishMessage", "channelStorageGet", "channelStorageSet", "channelStorageList", "umdUpdate"],
)
def test_client_http_api_refuses_bad_credentials(rel_stack: Stack, action: str) -> None:
    grants = {"room": {"subscribe": True, "storage": {"*": {"get": True, "set": True}}}}
    member = open_connection(rel_stack, CONNECTION_ID, grants, uid=UID)
    other = open_connection(rel_stack, "Other1Conn=", grants, uid="other")
    body = {"channel": "room", "key": "k", "event": "e", "data": 1, "token": "t"}
    for name, query in _creds_cases(member, other):
        status, reply, _ = http(rel_stack, f"/connection/{action}", body, query=query)
        assert (status, reply["error"]["code"]) == (401, "UNAUTHORIZED"), name


def test_client_http_api_refuses_the_secret_of_a_closed_connection(
    rel_stack: Stack, kit: TokenKit
) -> None:
    # GIVEN a connection opened through $connect, with its real secret
    token = kit.rs256(kit.good("connect"))
    event = ws_event("connect", connection_id=CONNECTION_ID, query={"token": token})
    from tests.reliability.drive import ws_raw

    ws_raw(rel_stack, "connect", event)
    secret = rel_stack.connections.get(CONNECTION_ID).secret  # type: ignore[union-attr]
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": secret}
    body = {"channel": "room", "key": "k"}
    assert http(rel_stack, "/connection/channelStorageGet", body, query=creds)[0] != 401
    # WHEN the connection closes
    ws_raw(rel_stack, "disconnect", ws_event("disconnect", connection_id=CONNECTION_ID))
    # THEN its secret no longer opens anything
    status, reply, _ = http(rel_stack, "/connection/channelStorageGet", body, query=creds)
    assert (status, reply["error"]["code"]) == (401, "UNAUTHORIZED")


def test_client_http_api_refuses_the_secret_of_an_expired_connection(
    rel_stack: Stack, clock: Any
) -> None:
    # GIVEN a connection whose $disconnect was lost, past its 2 h lifetime
    member = open_connection(rel_stack, CONNECTION_ID, {"room": {"subscribe": True}})
    clock.advance(7200)
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": member.secret}
    status, reply, _ = http(
        rel_stack, "/connection/channelStorageGet", {"channel": "room", "key": "k"}, query=creds
    )
    assert (status, reply["error"]["code"]) == (401, "UNAUTHORIZED")


def test_connection_secrets_are_unique_and_strong() -> None:
    from opensock.app.connections import SECRET_ALPHABET, new_connection_secret

    secrets = {new_connection_secret() for _ in range(2000)}
    assert len(secrets) == 2000
    assert all(len(s) >= 32 and set(s) <= set(SECRET_ALPHABET) for s in secrets)
