"""API Gateway's 32 KB WebSocket frame limit, which aiohttp cannot express on its own.

aiohttp limits whole messages (`max_msg_size`: the 128 KB message limit) but not single frames.
`FrameGuard` sits in front of aiohttp's frame parser, reads only frame headers, and when a data
frame is larger than the limit it fails the connection the way aiohttp fails an oversized
message: the socket closes with 1009 (Message too big), as API Gateway closes it.

This reaches into two private attributes of aiohttp 3.14 (`RequestHandler._payload_parser`
and `WebSocketResponse._reader`); `tests/local/test_gateway.py` fails if they change.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.http_websocket import WebSocketError

DATA_OPCODES = frozenset({0x0, 0x1, 0x2})


class FrameGuard:
    def __init__(self, parser: Any, queue: Any, limit: int) -> None:
        self._parser = parser
        self._queue = queue
        self._limit = limit
        self._pending = b""
        self._skip = 0
        self._tripped = False

    def feed_eof(self) -> None:
        self._parser.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._tripped:
            return False, b""
        oversized_at = self._scan(bytes(data))
        if oversized_at is None:
            result: tuple[bool, bytes] = self._parser.feed_data(data)
            return result
        self._tripped = True
        if oversized_at > 0:
            self._parser.feed_data(data[:oversized_at])
        self._queue.set_exception(WebSocketError(WSCloseCode.MESSAGE_TOO_BIG, "Message too big"))
        return False, b""

    def _scan(self, data: bytes) -> int | None:
        """Walk frame headers; return the offset in `data` of an oversized data frame."""
        carried = len(self._pending)
        view = self._pending + data
        position = 0
        while True:
            step = min(self._skip, len(view) - position)
            position += step
            self._skip -= step
            if self._skip:
                break
            header = _header(view, position)
            if header is None:
                break
            opcode, header_length, payload_length = header
            if opcode in DATA_OPCODES and payload_length > self._limit:
                return max(0, position - carried)
            position += header_length
            self._skip = payload_length
        self._pending = view[position:]
        return None


def _header(view: bytes, position: int) -> tuple[int, int, int] | None:
    """(opcode, header length, payload length) of the frame at `position`, if complete."""
    available = len(view) - position
    if available < 2:
        return None
    opcode = view[position] & 0x0F
    masked = view[position + 1] & 0x80
    length = view[position + 1] & 0x7F
    extra = 2 if length == 126 else 8 if length == 127 else 0
    header_length = 2 + extra + (4 if masked else 0)
    if available < header_length:
        return None
    if extra:
        length = int.from_bytes(view[position + 2 : position + 2 + extra], "big")
    return opcode, header_length, length


def install(request: web.Request, socket: web.WebSocketResponse, limit: int) -> None:
    """Put a FrameGuard in front of the prepared socket's parser."""
    protocol: Any = request.protocol
    queue = socket._reader
    protocol._payload_parser = FrameGuard(protocol._payload_parser, queue, limit)
