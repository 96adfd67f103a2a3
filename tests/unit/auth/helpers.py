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
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from opensock.settings import SigningKeySettings

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
