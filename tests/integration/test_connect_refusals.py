"""`$connect` refuses each token of issue #2's list, each by its own test, and writes nothing.

(The full corpus of 99 tokens is tests/reliability/test_connect_tokens.py.)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from functions.connect.app import lambda_handler
from opensock.config import load_settings
from tests.support.env import HS256_SECRET, TEST_ENV
from tests.support.events import ws_event
from tests.support.fakes import FakeInvoker, FakeLambdaContext
from tests.support.stack import Stack
from tests.support.tokens import mint

CID = "Refused0Conn="
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
STRANGER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER_EC = ec.generate_private_key(ec.SECP256R1())


def public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


ASYMMETRIC_ENV = {
    **TEST_ENV,
    "SIGNING_KEY_1_METHOD": "RS256",
    "SIGNING_KEY_1_ID": "k1",
    "SIGNING_KEY_1_ENCODED": base64.b64encode(public_pem(RSA_KEY)).decode(),
    "SIGNING_KEY_2_METHOD": "ES256",
    "SIGNING_KEY_2_ENCODED": base64.b64encode(public_pem(EC_KEY)).decode(),
    "TOKEN_AUDIENCE": "opensock-test",
    "TOKEN_ISSUER": "acme-app",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    encode = lambda value: b64url(json.dumps(value).encode())  # noqa: E731
    return f"{encode(header)}.{encode(payload)}."


def hs256_with_public_pem() -> str:
    """Algorithm confusion: HMAC-signed with the RSA public key's PEM as the shared secret
    (pyjwt refuses to sign this, so the token is assembled by hand)."""
    import hashlib
    import hmac

    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    claims = {"scope": "connect", "exp": 4_102_444_800, "aud": "opensock-test", "iss": "acme-app"}
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(public_pem(RSA_KEY), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(mac)}"


def tampered() -> str:
    head, _, signature = mint({"uid": "Jim"}).split(".")
    forged = b64url(json.dumps({"scope": "connect", "exp": 4_102_444_800, "uid": "admin"}).encode())
    return f"{head}.{forged}.{signature}"


def asymmetric(claims: dict[str, Any], key: Any, algorithm: str, kid: str | None = None) -> str:
    payload = {"aud": "opensock-test", "iss": "acme-app", **claims}
    return mint(payload, key=key, algorithm=algorithm, headers={"kid": kid} if kid else None)


# Tokens checked against the default HS256 slot (tests/support/env.py).
HS_CASES: dict[str, tuple[Callable[[], str | None], int]] = {
    "alg none": (lambda: unsigned({"alg": "none", "typ": "JWT"}, {"scope": "connect"}), 401),
    "HS384 where the key is HS256": (lambda: mint(key=HS256_SECRET, algorithm="HS384"), 401),
    "tampered payload": (tampered, 401),
    "expired": (lambda: mint(ttl=-1), 401),
    "exp as a string": (lambda: mint({"exp": "4102444800"}), 401),
    "no exp": (lambda: jwt.encode({"scope": "connect"}, HS256_SECRET, algorithm="HS256"), 401),
    "nbf in the future": (lambda: mint({"nbf": 4_102_444_800}), 401),
    "typ not JWT": (lambda: mint(headers={"typ": "JOSE"}), 401),
    "scope subscribe": (lambda: mint(scope="subscribe"), 403),
    "scope umd": (lambda: mint(scope="umd"), 403),
    "no scope": (lambda: mint({"scope": None}), 401),
    "connectionId claim": (lambda: mint({"connectionId": CID}), 403),
    "wrong claim types": (lambda: mint({"uid": 7, "channels": {"a": {"subscribe": "yes"}}}), 401),
    "invalid regex pattern": (lambda: mint({"channels": {"#regex:(": {"subscribe": True}}}), 401),
    "garbage": (lambda: "not.a.token", 401),
    "empty": (lambda: "", 401),
    "20 KB of junk": (lambda: "x" * 20_480, 401),
}

# Tokens checked against an RS256 slot (key id `k1`) and an ES256 slot, with aud and iss set.
ASYMMETRIC_CASES: dict[str, tuple[Callable[[], str], int]] = {
    "HS256 keyed with the RSA public key": (hs256_with_public_pem, 401),
    "a stranger's RS256 key": (lambda: asymmetric({}, STRANGER_RSA, "RS256", "k1"), 401),
    "a stranger's ES256 key": (lambda: asymmetric({}, STRANGER_EC, "ES256"), 401),
    "unknown kid": (lambda: asymmetric({}, RSA_KEY, "RS256", "k9"), 401),
    "wrong aud": (lambda: asymmetric({"aud": "someone-else"}, RSA_KEY, "RS256", "k1"), 401),
    "wrong iss": (lambda: asymmetric({"iss": "mallory"}, RSA_KEY, "RS256", "k1"), 401),
}


def connect(token: str | None, stack: Stack) -> Any:
    query = {} if token is None else {"token": token}
    event = ws_event("connect", connection_id=CID, query=query)
    return lambda_handler(event, FakeLambdaContext(), stack.app)


def assert_refused(token: str | None, status: int, stack: Stack, invoker: FakeInvoker) -> None:
    assert connect(token, stack) == {"statusCode": status}
    assert stack.connections.get(CID) is None
    assert invoker.calls == []


@pytest.mark.parametrize("case", list(HS_CASES))
def test_refused_with_the_hs256_slot(case: str, stack: Stack, invoker: FakeInvoker) -> None:
    make, status = HS_CASES[case]
    assert_refused(make(), status, stack, invoker)


@pytest.fixture
def asymmetric_services(stack: Stack) -> Stack:
    return Stack(
        load_settings(ASYMMETRIC_ENV),
        sleep=stack.sleep,
        gateway=stack.gateway,
        pubsub=stack.pubsub,
        invoker=stack.invoker,
    )


@pytest.mark.parametrize("case", list(ASYMMETRIC_CASES))
def test_refused_with_asymmetric_slots(
    case: str, asymmetric_services: Stack, invoker: FakeInvoker
) -> None:
    make, status = ASYMMETRIC_CASES[case]
    assert_refused(make(), status, asymmetric_services, invoker)


@pytest.mark.parametrize(
    ("key", "algorithm", "kid"), [(RSA_KEY, "RS256", "k1"), (EC_KEY, "ES256", None)]
)
def test_the_same_slots_accept_a_correctly_signed_token(
    key: Any, algorithm: str, kid: str | None, asymmetric_services: Stack
) -> None:
    # The refusals above are for the stated reason: the slots themselves work.
    assert connect(asymmetric({}, key, algorithm, kid), asymmetric_services) == {"statusCode": 200}
