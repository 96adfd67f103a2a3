"""History: stored messages, message ids and the window a subscription may read (§15).

Message ids are ULIDs: 10 Crockford base32 characters of Unix milliseconds, then 16 of
randomness, so a string comparison is a time comparison. A history window is a range of ids:
the lowest id of its first millisecond up to the highest id there is. A stored message keeps
what its live frame carried (`meta` only for client messages, §8.4) and its origin (v1.8.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensock.domain.auth.permissions import Permissions
from opensock.domain.frames import Frame
from opensock.domain.model import Member, Origin, Subscription
from opensock.errors import InvalidMessageError
from opensock.jsoncodec import JsonValue

ID_LENGTH = 26
_TIME_CHARS = 10
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {char: index for index, char in enumerate(_CROCKFORD)}
_MAX_ULID = (1 << 128) - 1
LOWEST_ID = "0" * ID_LENGTH
HIGHEST_ID = "7" + "Z" * (ID_LENGTH - 1)

MAX_PAGE_MESSAGES = 100
MAX_PAGE_BYTES = 1024 * 1024
"""`connection/listMessages`: at most 100 messages or 1 MB of response (SERVER-API §4.2)."""


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + _VALUE[char]
    return value


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def is_message_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == ID_LENGTH
        and all(char in _VALUE for char in value.upper())
        and value[0] <= "7"
    )


def check_message_id(value: object, name: str = "messageId") -> str:
    """A ULID in canonical (upper-case) form, or INVALID_MESSAGE naming the field."""
    if not is_message_id(value):
        raise InvalidMessageError(f"{name} must be a message id (ULID)")
    return str(value).upper()


def id_millis(message_id: str) -> int:
    return _decode(message_id[:_TIME_CHARS])


def lowest_id(millis: int) -> str:
    """The smallest id of that millisecond."""
    return _encode(max(0, millis), _TIME_CHARS) + "0" * (ID_LENGTH - _TIME_CHARS)


def highest_id(millis: int) -> str:
    """The largest id of that millisecond."""
    return _encode(max(0, millis), _TIME_CHARS) + "Z" * (ID_LENGTH - _TIME_CHARS)


def next_id(message_id: str) -> str:
    return _encode(min(_decode(message_id) + 1, _MAX_ULID), ID_LENGTH)


def previous_id(message_id: str) -> str:
    return _encode(max(_decode(message_id) - 1, 0), ID_LENGTH)


def window_start(subscription: Subscription, permissions: Permissions) -> str:
    """The oldest id the subscription may read: `historyStart` (inclusive, `0` = everything)
    when it resolves, else the subscription's creation (§4.2, SERVER-API §4.2)."""
    start = permissions.history_start(subscription.channel)
    if start is not None:
        return lowest_id(max(0, start) * 1000)
    return lowest_id(int(subscription.created_at * 1000))


def subscription_window(subscription: Subscription, connect_grants: dict[str, Any]) -> str:
    """`window_start` with the connection's grants and the subscription's token grants."""
    permissions = Permissions.from_entries(connect_grants, subscription.token_grants)
    return window_start(subscription, permissions)


@dataclass(frozen=True)
class StoredMessage:
    """A published message kept for history (`store` ≠ 0)."""

    id: str
    channel: str
    event: str
    data: JsonValue
    meta: Member | None
    """The sender, for client messages; None for server messages (their frames carry none)."""
    expires_at: int | None
    """Epoch seconds; None = kept forever (`store: -1`)."""
    origin: Origin

    def is_live(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now

    def frame(self) -> Frame:
        """Exactly the frame subscribers got live (§8.4)."""
        frame: Frame = {"id": self.id, "event": self.event, "channel": self.channel}
        frame["data"] = self.data
        if self.meta is not None:
            frame["meta"] = self.meta.as_json()
        return frame

    def listed(self) -> Frame:
        """The `listMessages` shape: `meta` always, `{"uid":null,"umd":null}` for servers."""
        meta = self.meta if self.meta is not None else Member(None, None)
        return {
            "id": self.id,
            "event": self.event,
            "channel": self.channel,
            "data": self.data,
            "meta": meta.as_json(),
        }
