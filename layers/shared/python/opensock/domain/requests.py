"""Request bodies: every inbound frame or HTTP body a use case takes, as pydantic v2 models.

One base config for all (`RequestModel`: camelCase wire aliases, unknown fields ignored,
frozen) and one entry point, `parse_body`, which turns a validation failure into a readable
`INVALID_MESSAGE` naming the field (v1.11.0). Checks that carry their own code (channel names,
storage keys, data size) raise it from the field's validator, in field order, so they come in
the order PROTOCOL §11.2 step 1 gives. The edge picks the model (`@websocket_route(model=…)`,
the HTTP route table); the use cases receive the parsed model.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from opensock.domain.auth.grants import JsonInt
from opensock.domain.names import check_channel
from opensock.domain.storage_values import validate_data, validate_key
from opensock.domain.stored_messages import check_message_id
from opensock.errors import AppError, InvalidMessageError, SubscribePermissionDeniedError

M = TypeVar("M", bound="RequestModel")
MAX_LIST_KEYS = 100


class RequestModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )

    refusal_with_channel: ClassVar[type[AppError] | None] = None
    """A route whose clients wait for a channel-specific answer (hotsock-js on subscribe) gets
    this error instead of INVALID_MESSAGE when the body names a channel."""


def parse_body(model: type[M], body: Any) -> M:
    """Validate a JSON object into `model`; InvalidMessageError names the first bad field."""
    try:
        return _validate(model, body)
    except InvalidMessageError as err:
        refusal = model.refusal_with_channel
        if refusal is not None and isinstance(body, dict) and isinstance(body.get("channel"), str):
            raise refusal(err.message) from None
        raise


def _validate(model: type[M], body: Any) -> M:
    if not isinstance(body, dict):
        raise InvalidMessageError("body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        if error["type"] == "missing":
            raise InvalidMessageError(f"{field} is required") from None
        raise InvalidMessageError(f"{field} has the wrong type") from None


def _channel(value: Any) -> str:
    if value is None:
        raise InvalidMessageError("channel is required")
    return check_channel(value)


def _key(value: Any) -> str:
    if value is None:
        raise InvalidMessageError("key is required")
    return validate_key(value)


def _optional_channel(value: str | None) -> str | None:
    return None if value is None else check_channel(value)


def _text(name: str) -> Any:
    def check(value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise InvalidMessageError(f"{name} must be a string")
        return value

    return BeforeValidator(check)


def _keys(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_LIST_KEYS:
        raise InvalidMessageError("keys must be an array of at most 100 keys")
    return tuple(validate_key(key) for key in value)


def _message_id(name: str, *, required: bool) -> Any:
    def check(value: Any) -> Any:
        if value is None:
            if required:
                raise InvalidMessageError(f"{name} is required")
            return None
        return check_message_id(value, name)

    return BeforeValidator(check)


# Fields that must be present and non-null, then pass their own check (with its own code).
StorageChannel = Annotated[str, BeforeValidator(_channel)]
RequiredChannel = StorageChannel
StorageKey = Annotated[str, BeforeValidator(_key)]
StorageData = Annotated[Any, AfterValidator(validate_data)]


# --- channels (PROTOCOL §7.1–§7.3, SERVER-API §2.2, §4.4) -------------------------------------
class ClientPublishRequest(RequestModel):
    channel: StrictStr
    event: StrictStr
    data: JsonValue = None
    schedule_expression: StrictStr | None = None
    schedule_expression_timezone: StrictStr | None = None
    eager_id_generation: StrictBool = False


class ServerPublishRequest(RequestModel):
    channel: StrictStr
    event: StrictStr
    data: JsonValue = None
    deduplication_id: StrictStr | None = None
    eager_id_generation: StrictBool = False
    emit_pub_sub_event: StrictBool = False
    schedule_expression: StrictStr | None = None
    schedule_expression_timezone: StrictStr | None = None
    store: JsonInt | None = None


class SubscribeData(RequestModel):
    token: StrictStr | None = None
    resume_after: Annotated[str | None, _message_id("resumeAfter", required=False)] = None
    """Opensock extension (docs/extensions.md): deliver the stored messages after this id."""


class SubscribeRequest(RequestModel):
    """`hotsock.subscribe`: hotsock-js waits for one of its four codes on a named channel."""

    refusal_with_channel: ClassVar[type[AppError] | None] = SubscribePermissionDeniedError
    channel: StrictStr
    data: SubscribeData | None = None

    @property
    def token(self) -> str | None:
        return self.data.token if self.data else None

    @property
    def resume_after(self) -> str | None:
        return self.data.resume_after if self.data else None


class UnsubscribeRequest(RequestModel):
    channel: StrictStr


# --- history and reactions (PROTOCOL §7.7, §16, SERVER-API §2.6, §4.2–§4.4) --------------------
class ReactionFrame(RequestModel):
    """`hotsock.messageReaction` (and a `connection/publishMessage` reaction): `data` is
    checked by `domain.reactions.parse_reaction`, which carries the reaction codes."""

    channel: RequiredChannel = Field(default=None, validate_default=True)
    data: Any = None


class ServerReactionRequest(ReactionFrame):
    """A server publish with `"event":"hotsock.messageReaction"` (SERVER-API §2.6)."""

    deduplication_id: StrictStr | None = None
    emit_pub_sub_event: StrictBool = False


class ListMessagesRequest(RequestModel):
    channel: RequiredChannel = Field(default=None, validate_default=True)
    after: Annotated[str | None, _message_id("after", required=False)] = None
    before: Annotated[str | None, _message_id("before", required=False)] = None
    reverse: StrictBool = False
    expand_reactions: StrictBool = False


class ListReactionsRequest(RequestModel):
    channel: RequiredChannel = Field(default=None, validate_default=True)
    message_id: Annotated[str, _message_id("messageId", required=True)] = Field(
        default=None, validate_default=True
    )


# --- channel storage (PROTOCOL §7.4, §7.5, SERVER-API §2.5, §4.5–§4.7) -----------------------
class StorageSetRequest(RequestModel):
    """A missing `data` is a clear (Q-STOR-8)."""

    channel: StorageChannel = Field(default=None, validate_default=True)
    key: StorageKey = Field(default=None, validate_default=True)
    data: StorageData = None
    schedule_expression: Annotated[str | None, _text("scheduleExpression")] = None
    schedule_expression_timezone: Annotated[str | None, _text("scheduleExpressionTimezone")] = None

    @property
    def scheduled(self) -> bool:
        return self.schedule_expression is not None


class StorageGetRequest(RequestModel):
    channel: StorageChannel = Field(default=None, validate_default=True)
    key: StorageKey = Field(default=None, validate_default=True)


class StorageListRequest(RequestModel):
    channel: StorageChannel = Field(default=None, validate_default=True)
    after: Annotated[str | None, _text("after")] = None
    keys: Annotated[tuple[str, ...] | None, BeforeValidator(_keys)] = None


class ChannelInfoRequest(RequestModel):
    """`connection/getChannelInfo` (SERVER-API §4.8)."""

    channel: StorageChannel = Field(default=None, validate_default=True)


# --- user metadata (PROTOCOL §7.6, SERVER-API §4.9) ---------------------------------------------
class UserMetadataUpdateData(RequestModel):
    token: StrictStr


class _UserMetadataUpdate(RequestModel):
    channel: StrictStr | None = None
    """As the client sent it (a real name or an alias); None for a connection-level update."""

    @model_validator(mode="after")
    def _channel_name(self) -> _UserMetadataUpdate:
        _optional_channel(self.channel)  # after the fields: a missing token is reported first
        return self


class UserMetadataUpdateFrame(_UserMetadataUpdate):
    """`{"event":"hotsock.umdUpdate","channel"?:…,"data":{"token":…}}`: a `channel` (real
    name or alias) asks for a per-channel update, its absence for a connection-level one."""

    data: UserMetadataUpdateData

    @property
    def token(self) -> str:
        return self.data.token


class UserMetadataUpdateRequest(_UserMetadataUpdate):
    """`POST /connection/umdUpdate` body: `{"token":…,"channel"?:…}`."""

    token: StrictStr
