"""Helpers for the auth tests: a frozen clock, an in-memory used-jti registry, key pairs that
sign real JWTs, and a forger for tokens with arbitrary headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from opensock.config import SigningKeySettings
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.permissions import Permissions
from opensock.domain.auth.tokens import TokenVerifier
from opensock.errors import InvalidTokenError, TokenScopeError

NOW = 1_800_000_000
ALGORITHMS = (
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA",
)  # fmt: skip


CURVES: dict[str, ec.EllipticCurve] = {
    "ES256": ec.SECP256R1(),
    "ES384": ec.SECP384R1(),
    "ES512": ec.SECP521R1(),
}


class FrozenClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class MemoryUsedTokens:
    """UsedTokenRegistry fake: first claim of a jti wins."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def claim(self, jti: str, expires_at: int) -> bool:
        if jti in self.used:
            return False
        self.used[jti] = expires_at
        return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value).encode())


def pem(public_key: Any) -> bytes:
    encoded = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return bytes(encoded)


@dataclass(frozen=True)
class KeyPair:
    """A signing key for one method and the slot settings that verify it."""

    method: str
    signing_key: Any
    material: bytes  # HMAC secret, or the PEM public key

    def slot(self, key_id: str = "", method: str | None = None) -> SigningKeySettings:
        encoded = base64.b64encode(self.material).decode()
        return SigningKeySettings(method=method or self.method, key_id=key_id, encoded=encoded)

    def sign(self, payload: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(payload, self.signing_key, algorithm=self.method, headers=headers)


def forge(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None = None) -> str:
    """A token with an arbitrary header, HMAC-SHA256-signed with `secret` (or unsigned)."""
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{b64url(signature)}"


def claims(**extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"exp": NOW + 60, "scope": "connect"}
    payload.update(extra)
    return payload


def refused(verifier: TokenVerifier, token: str, **context: Any) -> InvalidTokenError:
    context.setdefault("scope", "connect")
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify(token, **context)
    if len(token) > 10:
        assert token not in str(caught.value)
    return caught.value


def defect(verifier: TokenVerifier, token: str, **context: Any) -> str:
    error = refused(verifier, token, **context)
    assert type(error) is InvalidTokenError
    return error.reason


def not_allowed(verifier: TokenVerifier, token: str, **context: Any) -> str:
    error = refused(verifier, token, **context)
    assert isinstance(error, TokenScopeError)
    assert error.status == 403
    return error.reason


def grants(channels: dict[str, Any]) -> Claims:
    return Claims.from_payload({"exp": 2_000_000_000, "scope": "connect", "channels": channels})


def resolver(connect: dict[str, Any], subscribe: dict[str, Any] | None = None) -> Permissions:
    return Permissions.from_claims(grants(connect), grants(subscribe) if subscribe else None)


def on_event(**directives: Any) -> dict[str, Any]:
    return {"messages": {"e": directives}}


# The all-features connect token of PROTOCOL §4.5 (without exp/scope).
EXAMPLE: dict[str, Any] = {
    "aud": "hotsock-eu-west-1",
    "iss": "acme-app",
    "uid": "u-7",
    "umd": {"name": "Ada"},
    "keepAlive": True,
    "heartbeatTimeout": 60,
    "channels": {
        "presence.room.42": {
            "subscribe": True,
            "alias": "room",
            "autoSubscribe": True,
            "historyStart": 0,
            "messages": {
                "chat": {"publish": True, "echo": True, "store": 604800, "react": ["+1"]},
                "reminder": {"publish": True, "scheduleBefore": 1767312000},
                "hotsock.messageReaction": {"echo": True},
            },
            "storage": {
                "settings": {"observe": True, "get": True},
                "cursor.*": {"set": True, "store": 3600, "emitPubSubEvent": True},
            },
        },
        "metrics.u-7": {"messages": {"usage.*": {"broadcast": True, "store": 86400}}},
        "#regex:^org\\.[0-9]+$": {"subscribe": True, "getInfo": True, "omitFromSubCount": True},
        "org.0": {"subscribe": False},
    },
}
