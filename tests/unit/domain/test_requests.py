"""umd update request bodies: the WebSocket frame and the Client HTTP API body."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.requests import (
    UserMetadataUpdateFrame,
    UserMetadataUpdateRequest,
    parse_body,
)
from opensock.errors import InvalidChannelNameError, InvalidMessageError


def UmdUpdateRequest(token: str, channel: str | None = None) -> tuple[str, str | None]:
    return (token, channel)


def parse_frame(body: Any) -> tuple[str, str | None]:
    parsed = parse_body(UserMetadataUpdateFrame, body)
    return (parsed.token, parsed.channel)


def parse_http_body(body: Any) -> tuple[str, str | None]:
    parsed = parse_body(UserMetadataUpdateRequest, body)
    return (parsed.token, parsed.channel)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"event": "hotsock.umdUpdate", "data": {"token": "t"}}, UmdUpdateRequest("t")),
        (
            {"event": "hotsock.umdUpdate", "channel": "presence.a", "data": {"token": "t"}},
            UmdUpdateRequest("t", "presence.a"),
        ),
        ({"channel": None, "data": {"token": "t", "x": 1}, "other": 2}, UmdUpdateRequest("t")),
    ],
)
def test_parse_frame(body: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert parse_frame(body) == expected


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("not an object", InvalidMessageError),
        ({"event": "hotsock.umdUpdate"}, InvalidMessageError),
        ({"data": {}}, InvalidMessageError),
        ({"data": {"token": 1}}, InvalidMessageError),
        ({"channel": 5, "data": {"token": "t"}}, InvalidMessageError),
        ({"channel": "bad name", "data": {"token": "t"}}, InvalidChannelNameError),
    ],
)
def test_parse_frame_refusals(body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_frame(body)


def test_parse_http_body() -> None:
    assert parse_http_body({"token": "t", "channel": "c"}) == UmdUpdateRequest("t", "c")
    assert parse_http_body({"token": "t", "unknown": True}) == UmdUpdateRequest("t")
    with pytest.raises(InvalidMessageError, match="token is required"):
        parse_http_body({"channel": "c"})
