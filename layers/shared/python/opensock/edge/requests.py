"""Publish request bodies (PROTOCOL §7.3, SERVER-API §2.2, §4.4) validated at the edge.

Wrong JSON types give a readable `INVALID_MESSAGE` naming the field (v1.11.0); unknown fields
are ignored. Names and sizes are checked afterwards by `channels.names`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, StrictBool, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from opensock.domain.auth.grants import JsonInt
from opensock.errors import InvalidMessageError

M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class ClientPublishRequest(_Body):
    channel: StrictStr
    event: StrictStr
    data: JsonValue = None
    schedule_expression: StrictStr | None = None
    schedule_expression_timezone: StrictStr | None = None
    eager_id_generation: StrictBool = False


class ServerPublishRequest(_Body):
    channel: StrictStr
    event: StrictStr
    data: JsonValue = None
    deduplication_id: StrictStr | None = None
    eager_id_generation: StrictBool = False
    emit_pub_sub_event: StrictBool = False
    schedule_expression: StrictStr | None = None
    schedule_expression_timezone: StrictStr | None = None
    store: JsonInt | None = None


class SubscribeData(_Body):
    token: StrictStr | None = None


class SubscribeFrame(_Body):
    channel: StrictStr
    data: SubscribeData | None = None


class ChannelFrame(_Body):
    channel: StrictStr


def parse_body(model: type[M], body: Any) -> M:
    """Validate a JSON object into `model`; InvalidMessageError names the first bad field."""
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
