"""Claims: the validated payload of a connect, subscribe or umd token (PROTOCOL §4.1).

`Claims.from_payload` is the only way in: it reads wire names only (a claim called `user_id`
is an unknown claim, not the `uid`), ignores unknown claims, and raises `ClaimsError` with a
short constant reason when any documented claim is malformed (Q-AUTH-7), so the token module
can refuse the whole token without echoing its content.
"""

from __future__ import annotations

import json
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from opensock.domain.auth.grants import ChannelGrant, JsonInt, NumericDate, check_channel_keys

MAX_UID_LENGTH = 128
MAX_UMD_BYTES = 1024


class ClaimsError(ValueError):
    """A structurally invalid token payload; `reason` is a constant, token-free phrase."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def compact_json_size(value: object) -> int:
    """UTF-8 length of the value as compact JSON (how `umd` and `data` limits are measured)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8"))


class Claims(BaseModel):
    """Top-level claims; registered claims are named for what they mean."""

    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel)

    audience: StrictStr | list[StrictStr] | None = Field(default=None, alias="aud")
    channels: dict[str, ChannelGrant] = Field(default_factory=dict)
    connection_id: StrictStr | None = None
    expires_at: NumericDate = Field(alias="exp")
    not_before: NumericDate | None = Field(default=None, alias="nbf")
    issued_at: NumericDate | None = Field(default=None, alias="iat")
    issuer: StrictStr | None = Field(default=None, alias="iss")
    token_id: StrictStr | None = Field(default=None, alias="jti")
    keep_alive: StrictBool | None = None
    heartbeat_timeout: JsonInt | None = Field(default=None, ge=5, le=600)
    scope: StrictStr
    single_use: StrictBool | None = None
    uid: StrictStr | None = Field(default=None, max_length=MAX_UID_LENGTH)
    user_metadata: JsonValue = Field(default=None, alias="umd")
    user_metadata_propagate: StrictBool | None = Field(default=None, alias="umdPropagate")
    user_metadata_update: StrictBool | None = Field(default=None, alias="umdUpdate")

    @field_validator("channels")
    @classmethod
    def _channel_keys(cls, value: dict[str, ChannelGrant]) -> dict[str, ChannelGrant]:
        check_channel_keys(value)
        return value

    @field_validator("user_metadata")
    @classmethod
    def _umd_size(cls, value: JsonValue) -> JsonValue:
        if compact_json_size(value) > MAX_UMD_BYTES:
            raise ValueError("umd exceeds 1 KiB")
        return value

    @property
    def scopes(self) -> frozenset[str]:
        """The space-separated `scope` claim as a set (unknown words are kept, and unused)."""
        return frozenset(self.scope.split())

    @property
    def is_single_use(self) -> bool:
        return self.single_use is True

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        """Validate a decoded payload; raise ClaimsError naming the first bad claim."""
        try:
            claims = cls.model_validate(payload)
        except ValidationError as exc:
            raise ClaimsError(_reason(exc)) from None
        if claims.is_single_use and not claims.token_id:
            raise ClaimsError("single-use token without jti")
        return claims


_CLAIM_NAMES = frozenset(field.alias for field in Claims.model_fields.values() if field.alias)


def _reason(exc: ValidationError) -> str:
    location = exc.errors()[0]["loc"]
    name = location[0] if location else None
    if isinstance(name, str) and name in _CLAIM_NAMES:
        return f"invalid {name} claim"
    return "invalid claims"
