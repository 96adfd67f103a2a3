"""umd update requests (PROTOCOL §7.6, SERVER-API §4.9), validated at the edge.

The WebSocket frame carries the token under `data.token`, the Client HTTP API body at the top
level; both become one `UmdUpdateRequest`. A `channel` (real name or alias) asks for a
per-channel update, its absence for a connection-level one. Unknown fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictStr
from pydantic.alias_generators import to_camel

from opensock.domain.names import check_channel
from opensock.edge.requests import parse_body


class _Body(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class UmdUpdateData(_Body):
    token: StrictStr


class UmdUpdateFrame(_Body):
    """`{"event":"hotsock.umdUpdate","channel"?:…,"data":{"token":…}}`."""

    channel: StrictStr | None = None
    data: UmdUpdateData


class UmdUpdateHttpBody(_Body):
    """`POST /connection/umdUpdate` body: `{"token":…,"channel"?:…}`."""

    token: StrictStr
    channel: StrictStr | None = None


@dataclass(frozen=True)
class UmdUpdateRequest:
    token: str
    channel: str | None = None
    """As the client sent it (a real name or an alias); None for a connection-level update."""


def _request(token: str, channel: str | None) -> UmdUpdateRequest:
    return UmdUpdateRequest(token, None if channel is None else check_channel(channel))


def parse_frame(body: Any) -> UmdUpdateRequest:
    frame = parse_body(UmdUpdateFrame, body)
    return _request(frame.data.token, frame.channel)


def parse_http_body(body: Any) -> UmdUpdateRequest:
    parsed = parse_body(UmdUpdateHttpBody, body)
    return _request(parsed.token, parsed.channel)
