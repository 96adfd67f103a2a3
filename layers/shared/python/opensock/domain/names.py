"""Names and sizes: the PROTOCOL §6 rules for channel names, event names and message data.

Pure checks shared by the WebSocket, the Client HTTP API and server publishes. Lengths count
Unicode code points and `data` the UTF-8 bytes of its compact JSON (Q-AUTH-6).
"""

from __future__ import annotations

from opensock.domain.auth.grants import is_valid_channel_name
from opensock.errors import DataTooLargeError, InvalidChannelNameError, InvalidEventNameError
from opensock.jsoncodec import JsonValue, size_bytes

PRESENCE_PREFIX = "presence."
MAX_EVENT_NAME_LENGTH = 128
MAX_DATA_BYTES = 32 * 1024
RESERVED_PREFIX = "hotsock."


def is_presence(channel: str) -> bool:
    return channel.startswith(PRESENCE_PREFIX)


def check_channel(name: object) -> str:
    """The channel name, or InvalidChannelNameError (1–256 chars, no `* # ,` or whitespace)."""
    if not isinstance(name, str) or not is_valid_channel_name(name):
        raise InvalidChannelNameError("channel must be 1-256 characters without * # , or spaces")
    return name


def check_event(name: object, *, allowed_reserved: frozenset[str] = frozenset()) -> str:
    """A publishable event name: 1–128 chars, no `*`, no leading `#` or `hotsock.`."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_EVENT_NAME_LENGTH:
        raise InvalidEventNameError("event must be 1-128 characters")
    if name in allowed_reserved:
        return name
    if "*" in name or name.startswith("#") or name.startswith(RESERVED_PREFIX):
        raise InvalidEventNameError("event must not contain * nor start with # or hotsock.")
    return name


def check_data(data: JsonValue) -> JsonValue:
    if size_bytes(data) > MAX_DATA_BYTES:
        raise DataTooLargeError()
    return data
