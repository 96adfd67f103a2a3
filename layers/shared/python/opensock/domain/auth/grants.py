"""Grants: the directives of one `channels` entry of a token (PROTOCOL §4.2–§4.4).

Every directive is optional and `None` means "not set", which the resolver must tell apart from
an explicit `false` (an explicit `false` always wins, §5.4). Booleans must be JSON booleans and
integers JSON integers; a wrong type, an out-of-range `store` or an uncompilable `#regex:` key
makes the whole token invalid (Q-AUTH-7). Unknown directives are ignored. Python names are
spelled out; the wire names are the aliases, and `wire()` dumps an entry back in wire form.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)
from pydantic.alias_generators import to_camel

from opensock.domain.auth.patterns import is_exact, validate_key

MAX_STORE_SECONDS = 3_155_695_200
MAX_CHANNEL_NAME_LENGTH = 256
_FORBIDDEN_IN_CHANNEL_NAME = frozenset("*#,")


def json_integer(value: object) -> int:
    """A JSON integer: an int (not a bool), or an integral float or Decimal (DynamoDB)."""
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    raise ValueError("expected an integer")


JsonInt = Annotated[int, BeforeValidator(json_integer)]
NumericDate = JsonInt
"""Unix seconds (PROTOCOL §6 "NumericDate claims")."""

Flag = StrictBool | None


def is_valid_channel_name(name: str) -> bool:
    """PROTOCOL §6: 1–256 code points, no `*`, `#`, `,` and no whitespace."""
    if not 0 < len(name) <= MAX_CHANNEL_NAME_LENGTH:
        return False
    return not any(char in _FORBIDDEN_IN_CHANNEL_NAME or char.isspace() for char in name)


def _validate_keys(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        validate_key(key)
    return value


class _Grant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel)

    def wire(self) -> dict[str, Any]:
        """JSON-able wire form with unset directives left out (round-trips through JSON)."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)


class MessageGrant(_Grant):
    """Directives for one event key inside `messages` (§4.3)."""

    publish: Flag = None
    broadcast: Flag = None
    echo: Flag = None
    emit_pub_sub_event: Flag = None
    react: StrictBool | list[StrictStr] | None = None
    schedule_before: NumericDate | None = None
    store: JsonInt | None = None

    @field_validator("store")
    @classmethod
    def _store_range(cls, value: int | None) -> int | None:
        if value is not None and value != -1 and not 0 <= value <= MAX_STORE_SECONDS:
            raise ValueError("message store must be -1 or 0..3155695200")
        return value


class StorageGrant(_Grant):
    """Directives for one storage key inside `storage` (§4.4)."""

    observe: Flag = None
    get: Flag = None
    set: Flag = None
    store: JsonInt | None = None
    schedule_before: NumericDate | None = None
    emit_pub_sub_event: Flag = None

    @field_validator("store")
    @classmethod
    def _store_range(cls, value: int | None) -> int | None:
        if value is not None and value != -1 and not 1 <= value <= MAX_STORE_SECONDS:
            raise ValueError("storage store must be -1 or 1..3155695200")
        return value


class ChannelGrant(_Grant):
    """One entry of the `channels` claim (§4.2); key-dependent rules: `check_channel_keys`."""

    alias: StrictStr | None = None
    auto_subscribe: Flag = None
    get_info: Flag = None
    history_start: NumericDate | None = None
    messages: dict[str, MessageGrant] = Field(default_factory=dict)
    omit_from_sub_count: Flag = None
    storage: dict[str, StorageGrant] = Field(default_factory=dict)
    subscribe: Flag = None
    user_metadata_update: Flag = Field(default=None, alias="umdUpdate")

    @field_validator("messages", "storage")
    @classmethod
    def _pattern_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _validate_keys(value)

    @field_validator("alias")
    @classmethod
    def _alias_is_channel_name(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_channel_name(value):
            raise ValueError("alias must be a valid channel name")
        return value


def check_channel_keys(channels: dict[str, ChannelGrant]) -> None:
    """Key-dependent rules: regex keys compile; alias/autoSubscribe only on exact keys;
    an alias is unique and is not also a channel key of the same token (§5.9)."""
    aliases: set[str] = set()
    for key, grant in channels.items():
        validate_key(key)
        if not is_exact(key) and (grant.alias is not None or grant.auto_subscribe is not None):
            raise ValueError("alias and autoSubscribe are allowed on exact keys only")
        if grant.alias is None:
            continue
        if grant.alias in aliases or grant.alias in channels:
            raise ValueError("alias repeats another alias or a channel key")
        aliases.add(grant.alias)
