"""Plain dicts <-> DynamoDB attribute maps (numbers as Decimal, JSON blobs as strings).

boto3's (de)serializers are imported on first use: `boto3.dynamodb.types` imports all of boto3
(~150–200 ms), which a handler module must not pay at import (cold start, issue #7).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

Item = dict[str, Any]


@lru_cache(maxsize=1)
def _codecs() -> tuple[TypeSerializer, TypeDeserializer]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    return value


def to_item(values: Item) -> dict[str, Any]:
    """Serialise a plain dict; attributes whose value is None are left out."""
    serializer = _codecs()[0]
    return {k: serializer.serialize(_to_dynamo(v)) for k, v in values.items() if v is not None}


def to_value(value: Any) -> Any:
    return _codecs()[0].serialize(_to_dynamo(value))


def from_item(item: dict[str, Any]) -> Item:
    deserializer = _codecs()[1]
    return {k: _from_dynamo(deserializer.deserialize(v)) for k, v in item.items()}
