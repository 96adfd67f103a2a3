"""Storage values: key rules, data limits, clears and the canonical JSON used to compare them.

Values are stored as canonical JSON text (sorted object keys, integral floats written as
integers), so "the same value" is one string comparison inside a DynamoDB condition and a
no-op write is detected atomically (PROTOCOL §11.2 step 5: parsed equality).
"""

from __future__ import annotations

import json
from typing import Any

from opensock.errors import DataTooLargeError, InvalidStorageKeyError, InvalidStoreError
from opensock.jsoncodec import JsonValue, size_bytes

MAX_KEY_LENGTH = 128
MAX_DATA_BYTES = 32 * 1024
MAX_STORE_SECONDS = 3_155_695_200
FOREVER = -1
_FORBIDDEN_IN_KEY = frozenset("*#,")
_SAFE_INTEGER = 2**53


def validate_key(key: object) -> str:
    """PROTOCOL §6: non-blank, ≤ 128 code points, no whitespace, `*`, `#` or `,`."""
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidStorageKeyError("key must be 1-128 characters")
    if any(char in _FORBIDDEN_IN_KEY or char.isspace() for char in key):
        raise InvalidStorageKeyError("key must not contain spaces, '*', '#' or ','")
    return key


def validate_data(data: JsonValue) -> JsonValue:
    if size_bytes(data) > MAX_DATA_BYTES:
        raise DataTooLargeError("data exceeds 32 KiB")
    return data


def validate_store(store: object) -> int:
    """Storage `store`: -1 (forever) or 1..3155695200 seconds; 0 is invalid (§6)."""
    if isinstance(store, bool) or not isinstance(store, int | float):
        raise InvalidStoreError("store must be an integer")
    if isinstance(store, float) and not store.is_integer():
        raise InvalidStoreError("store must be an integer")
    value = int(store)
    if value != FOREVER and not 1 <= value <= MAX_STORE_SECONDS:
        raise InvalidStoreError("store must be -1 or 1..3155695200")
    return value


def is_clear(data: JsonValue) -> bool:
    """`null` and `{}` clear an entry (§6)."""
    return data is None or data == {}


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < _SAFE_INTEGER:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def canonical(data: JsonValue) -> str:
    """Compact JSON with sorted keys: equal JSON values have equal text."""
    return json.dumps(_normalise(data), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def parse(text: str) -> JsonValue:
    return json.loads(text)
