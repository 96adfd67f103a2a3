"""Storage request bodies (WebSocket frames, Client HTTP API, server publish), validated.

Checks run in the order of PROTOCOL §11.2 step 1: channel name, key, data size. A missing or
wrongly typed field is `INVALID_MESSAGE`; unknown fields are ignored. An absent `data` is a
clear (Q-STOR-8).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opensock.domain.names import check_channel
from opensock.domain.storage_values import validate_data, validate_key
from opensock.errors import InvalidMessageError
from opensock.jsoncodec import JsonValue

MAX_LIST_KEYS = 100


@dataclass(frozen=True)
class ScheduleRequest:
    expression: str
    timezone: str | None


@dataclass(frozen=True)
class SetRequest:
    channel: str
    key: str
    data: JsonValue
    schedule: ScheduleRequest | None = None


@dataclass(frozen=True)
class GetRequest:
    channel: str
    key: str


@dataclass(frozen=True)
class ListRequest:
    channel: str
    keys: tuple[str, ...] | None = None
    after: str | None = None


def _object(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise InvalidMessageError("body must be a JSON object")
    return body


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidMessageError(f"{name} must be a string")
    return value


def _optional_text(body: Mapping[str, Any], name: str) -> str | None:
    return None if body.get(name) is None else _text(body, name)


def channel_of(body: Mapping[str, Any]) -> str:
    if body.get("channel") is None:
        raise InvalidMessageError("channel is required")
    return check_channel(body["channel"])


def key_of(body: Mapping[str, Any]) -> str:
    if body.get("key") is None:
        raise InvalidMessageError("key is required")
    return validate_key(body["key"])


def _schedule(body: Mapping[str, Any]) -> ScheduleRequest | None:
    expression = _optional_text(body, "scheduleExpression")
    if expression is None:
        return None
    return ScheduleRequest(expression, _optional_text(body, "scheduleExpressionTimezone"))


def parse_set(body: object) -> SetRequest:
    fields = _object(body)
    channel, key = channel_of(fields), key_of(fields)
    data = validate_data(fields.get("data"))
    return SetRequest(channel, key, data, _schedule(fields))


def parse_get(body: object) -> GetRequest:
    fields = _object(body)
    return GetRequest(channel_of(fields), key_of(fields))


def parse_list(body: object) -> ListRequest:
    fields = _object(body)
    channel = channel_of(fields)
    after = _optional_text(fields, "after")
    keys = fields.get("keys")
    if keys is None:
        return ListRequest(channel, None, after)
    if not isinstance(keys, list) or len(keys) > MAX_LIST_KEYS:
        raise InvalidMessageError("keys must be an array of at most 100 keys")
    return ListRequest(channel, tuple(validate_key(key) for key in keys), after)
