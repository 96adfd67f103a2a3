"""Wire: splitting a compact JWT into its header and payload objects, refusing junk cheaply.

Nothing here is trusted yet; the signature is checked afterwards by pyjwt over the same bytes.
Oversized input (more than 16 KiB) is refused before any decoding, and JSON `NaN`/`Infinity`
or out-of-range floats are malformed, so every number that gets through is a real JSON number.
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any

from opensock.domain.auth.grants import json_integer
from opensock.errors import InvalidTokenError

MAX_TOKEN_LENGTH = 16 * 1024
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _decode_object(segment: str) -> dict[str, Any]:
    if not _SEGMENT.fullmatch(segment):
        raise InvalidTokenError("malformed token")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw, parse_constant=_no_constants, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise InvalidTokenError("malformed token") from None
    if not isinstance(value, dict):
        raise InvalidTokenError("malformed token")
    return value


def parse_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the (unverified) header and payload objects of a compact JWT."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError("malformed token")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTokenError("malformed token")
    return _decode_object(parts[0]), _decode_object(parts[1])


def read_numeric_date(payload: dict[str, Any], name: str) -> int | None:
    """The NumericDate claim `name` (None when absent or null); malformed → InvalidTokenError."""
    value = payload.get(name)
    if value is None:
        return None
    try:
        return json_integer(value)
    except ValueError:
        raise InvalidTokenError(f"invalid {name} claim") from None
