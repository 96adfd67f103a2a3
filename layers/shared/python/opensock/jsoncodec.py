"""Compact JSON, the one encoding used on the wire, for size limits and for stored JSON blobs."""

from __future__ import annotations

import json
import re
from typing import Any

JsonValue = Any
"""Any JSON value (object, array, string, number, boolean or null)."""


def dumps(value: JsonValue) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def size_bytes(value: JsonValue) -> int:
    """UTF-8 length of the value re-serialised as compact JSON (PROTOCOL Q-AUTH-6)."""
    return len(dumps(value).encode("utf-8"))


def is_valid_unicode(value: JsonValue) -> bool:
    """False when a string in the value holds a lone surrogate (it cannot be UTF-8 encoded)."""
    try:
        dumps(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def loads(text: str | bytes) -> JsonValue:
    return json.loads(text)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def loads_untrusted(text: str) -> JsonValue:
    """Parse client JSON; ValueError unless it is JSON of valid Unicode text (a lone
    `\\ud800` escape cannot be sent on, stored or measured) nested within Python's limit."""
    try:
        value = json.loads(text)
        if _SURROGATE_ESCAPE.search(text):
            dumps(value).encode("utf-8")
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return value
