"""Compact JSON, the one encoding used on the wire, for size limits and for stored JSON blobs."""

from __future__ import annotations

import json
from typing import Any

JsonValue = Any
"""Any JSON value (object, array, string, number, boolean or null)."""


def dumps(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def size_bytes(value: JsonValue) -> int:
    """UTF-8 length of the value re-serialised as compact JSON (PROTOCOL Q-AUTH-6)."""
    return len(dumps(value).encode("utf-8"))


def loads(text: str | bytes) -> JsonValue:
    return json.loads(text)
