"""Real JWTs for tests, signed with the test HS256 key (or any key a test passes)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from tests.support.env import HS256_SECRET


def mint(
    claims: dict[str, Any] | None = None,
    *,
    scope: str = "connect",
    ttl: int = 3600,
    key: Any = HS256_SECRET,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """Sign `claims` (with `scope` and an `exp` `ttl` seconds ahead unless given)."""
    payload: dict[str, Any] = {"scope": scope, "exp": int(now or time.time()) + ttl}
    payload.update(claims or {})
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)
