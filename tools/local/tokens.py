"""Minting tokens with the local signing key (signing key 1 of the handlers' environment).

HMAC keys are the base64-decoded `SIGNING_KEY_1_ENCODED`; for asymmetric methods the encoded
value is a public key, so a private key (PEM) must be given. `aud`/`iss` are added when the
installation enforces them, and `kid` when key 1 has an id.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any

import jwt

DEV_CLAIMS: dict[str, Any] = {
    "uid": "dev",
    "channels": {
        "*": {
            "subscribe": True,
            "messages": {"*": {"publish": True, "echo": True}},
            "storage": {"*": {"observe": True, "get": True, "set": True}},
        }
    },
}


def decode_key(encoded: str) -> bytes:
    """Base64 with whitespace, line breaks and literal `\\n` sequences ignored (PROTOCOL §3.3)."""
    cleaned = "".join(encoded.replace("\\n", "").split())
    return base64.b64decode(cleaned)


def mint_token(
    environ: Mapping[str, str],
    claims: Mapping[str, Any] | None = None,
    *,
    scope: str = "connect",
    ttl: int = 3600,
    private_key: str | None = None,
) -> str:
    method = environ.get("SIGNING_KEY_1_METHOD", "HS256")
    if method.startswith("HS"):
        key: Any = decode_key(environ["SIGNING_KEY_1_ENCODED"])
    elif private_key is None:
        raise ValueError(f"signing key 1 is {method}: pass the private key (PEM) to sign with")
    else:
        key = private_key
    now = int(time.time())
    payload: dict[str, Any] = {"scope": scope, "iat": now, "exp": now + ttl}
    if environ.get("TOKEN_AUDIENCE"):
        payload["aud"] = environ["TOKEN_AUDIENCE"]
    if environ.get("TOKEN_ISSUER"):
        payload["iss"] = environ["TOKEN_ISSUER"]
    payload.update(claims or {})
    headers = {"kid": environ["SIGNING_KEY_1_ID"]} if environ.get("SIGNING_KEY_1_ID") else None
    return jwt.encode(payload, key, algorithm=method, headers=headers)
