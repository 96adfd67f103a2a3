"""API Gateway's size limits (32 KB frames, 128 KB messages) and its 1009 closing handshake.

`FrameGuard` sits in front of aiohttp's frame parser and reads only frame headers. When a data
frame is over the frame limit, or would take its message over the message limit, it stops
feeding the parser and queues a `SizeLimitError` for the gateway, which closes the socket with
1009 (Message too big) as API Gateway does. From then on the guard reads and drops what the
client still sends until the client's own close frame, which it hands to the socket, so the
socket finishes the closing handshake and only then closes TCP.

Why not aiohttp's own `max_msg_size`: its error poisons the reader, so the socket closed TCP
right after its close frame while the client was still sending. Closing a socket with unread
input resets the connection (RST), and the client could lose the 1009 frame with it.

This reaches into two private attributes of aiohttp 3.14 (`RequestHandler._payload_parser`
and `WebSocketResponse._reader`); `tests/local/test_gateway.py` fails if they change.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from tools.local.connections import Limits

DATA_OPCODES = frozenset({0x0, 0x1, 0x2})
CONTINUATION, CLOSE = 0x0, 0x8
NO_STATUS = 1005
MESSAGE_TOO_BIG = (int(WSCloseCode.MESSAGE_TOO_BIG), "Message too big")


class SizeLimitError(WebSocketError):
    """A frame or message over API Gateway's limit: the gateway closes with 1009."""

    def __init__(self) -> None:
        super().__init__(*MESSAGE_TOO_BIG)


class Header(NamedTuple):
    opcode: int
    length: int
    payload: int
    mask: bytes


class FrameGuard:
    def __init__(self, parser: Any, queue: Any, frame_limit: int, message_limit: int) -> None:
        self._parser = parser
        self._queue = queue
        self._frame_limit = frame_limit
        self._message_limit = message_limit
        self._pending = b""  # the start of a frame header that has not fully arrived
        self._skip = 0  # payload bytes of the current frame still to come
        self._message = 0  # payload bytes of the data message in progress
        self._tripped = False
        self._close: bytearray | None = None  # the client's close frame payload, arriving
        self._mask = b""
        self._client_close: WSMessage | None = None
        self._done = False

    def feed_eof(self) -> None:
        self._parser.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._done:
            return False, b""
        chunk = bytes(data)
        was_tripped = self._tripped
        oversized_at = self._walk(chunk)
        if not was_tripped:
            if oversized_at is None:
                result: tuple[bool, bytes] = self._parser.feed_data(data)
                return result
            if oversized_at > 0:
                self._parser.feed_data(chunk[:oversized_at])
            self._queue.feed_data(WSMessage(WSMsgType.ERROR, SizeLimitError(), None), 0)
        if self._client_close is not None and not self._done:
            self._done = True
            self._queue.feed_data(self._client_close, 0)
        return False, b""

    def _walk(self, data: bytes) -> int | None:
        """Walk frame headers; return the offset in `data` of the frame that broke a limit."""
        carried = len(self._pending)
        view = self._pending + data
        position = 0
        oversized_at = None
        while self._client_close is None:
            position = self._consume(view, position)
            if self._skip or self._client_close is not None:
                break
            header = _header(view, position)
            if header is None:
                break
            if not self._tripped and self._too_big(header):
                self._tripped = True
                oversized_at = max(0, position - carried)
            if self._tripped and header.opcode == CLOSE:
                self._close, self._mask = bytearray(), header.mask
            position += header.length
            self._skip = header.payload
        self._pending = view[position:] if self._client_close is None else b""
        return oversized_at

    def _consume(self, view: bytes, position: int) -> int:
        """Step over the current frame's payload; keep it if it is the client's close frame."""
        step = min(self._skip, len(view) - position)
        if self._close is not None:
            self._close += view[position : position + step]
        self._skip -= step
        if not self._skip and self._close is not None:
            self._client_close = _close_message(bytes(self._close), self._mask)
        return position + step

    def _too_big(self, header: Header) -> bool:
        if header.opcode not in DATA_OPCODES:
            return False
        if header.opcode != CONTINUATION:
            self._message = 0
        self._message += header.payload
        return header.payload > self._frame_limit or self._message > self._message_limit


def _header(view: bytes, position: int) -> Header | None:
    """The header of the frame at `position`, if it has fully arrived."""
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
    mask = view[position + header_length - 4 : position + header_length] if masked else b""
    return Header(opcode, header_length, length, mask)


def _close_message(payload: bytes, mask: bytes) -> WSMessage:
    if mask:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else NO_STATUS
    return WSMessage(WSMsgType.CLOSE, code, payload[2:].decode("utf-8", "replace"))


def install(request: web.Request, socket: web.WebSocketResponse, limits: Limits) -> None:
    """Put a FrameGuard in front of the prepared socket's parser."""
    protocol: Any = request.protocol
    queue = socket._reader
    protocol._payload_parser = FrameGuard(
        protocol._payload_parser, queue, limits.frame_bytes, limits.message_bytes
    )
