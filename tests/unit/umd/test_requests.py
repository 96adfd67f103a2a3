"""umd update request bodies: the WebSocket frame and the Client HTTP API body."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.edge.user_metadata_requests import UmdUpdateRequest, parse_frame, parse_http_body
from opensock.errors import InvalidChannelNameError, InvalidMessageError


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
def test_parse_frame(body: dict[str, Any], expected: UmdUpdateRequest) -> None:
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
