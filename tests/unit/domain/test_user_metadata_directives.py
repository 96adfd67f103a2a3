"""umd directives: per-channel `umdUpdate` resolved on the umd token alone; top-level claim."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.auth.claims import Claims
from opensock.domain.user_metadata_plan import check_channel_update, check_connection_update
from opensock.errors import UmdUpdatePermissionDeniedError


def claims(**values: Any) -> Claims:
    return Claims.from_payload({"scope": "umd", "exp": 2_000_000_000, **values})


@pytest.mark.parametrize(
    ("channels", "channel", "allowed"),
    [
        ({"presence.chat": {"umdUpdate": True}}, "presence.chat", True),
        ({"presence.*": {"umdUpdate": True}}, "presence.chat", True),
        (
            {"presence.*": {"umdUpdate": True}, "presence.chat": {"umdUpdate": False}},
            "presence.chat",
            False,
        ),
        ({"presence.chat": {"subscribe": True}}, "presence.chat", False),
        ({"other": {"umdUpdate": True}}, "presence.chat", False),
        ({}, "presence.chat", False),
    ],
)
def test_channel_update(channels: dict[str, Any], channel: str, allowed: bool) -> None:
    token = claims(channels=channels)
    if allowed:
        check_channel_update(token, channel)
    else:
        with pytest.raises(UmdUpdatePermissionDeniedError):
            check_channel_update(token, channel)


def test_connection_update_needs_the_top_level_claim() -> None:
    check_connection_update(claims(umdUpdate=True))
    for refused in (claims(), claims(umdUpdate=False), claims(umdPropagate=True)):
        with pytest.raises(UmdUpdatePermissionDeniedError):
            check_connection_update(refused)
    # a channel entry's umdUpdate is not the top-level claim
    with pytest.raises(UmdUpdatePermissionDeniedError):
        check_connection_update(claims(channels={"*": {"umdUpdate": True}}))
