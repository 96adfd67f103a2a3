"""DynamoDB item sizes and request units, computed the way DynamoDB bills them.

moto answers `ReturnConsumedCapacity` with constants (0.5 per read request, 1.0 per write
request, whatever the size), so the bench computes units from the items it reads and writes:
an attribute costs its name's UTF-8 bytes plus its value (strings and binaries by length,
numbers ≈ 1 byte per two significant digits + 1, booleans and nulls 1, lists and maps 3 + 1 per
element + their contents). A read unit covers 4 KB (strongly consistent; half a unit when
eventually consistent), a write unit 1 KB; transactions cost double.
"""

from __future__ import annotations

import math
from typing import Any

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0]
    significant = digits.strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """Size in bytes of one typed attribute value (`{"S": "x"}`, `{"N": "1"}`, ...)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return _number_size(str(inner))
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode("utf-8")) for v in inner)
    if kind == "NS":
        return sum(_number_size(str(v)) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, dict[str, Any]] | None) -> int:
    """Size in bytes of a typed item (0 for no item)."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """RRU of reading `size` bytes in one request (at least one 4 KB unit)."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    """WRU of writing an item of `size` bytes (at least one 1 KB unit)."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return 2.0 * units if transactional else float(units)
