"""A scripted WebSocket and a fake clock for driving `opensock.js` frame by frame.

`ScriptedClient` opens `clients/js/test.html` on a made-up origin routed to `clients/js/` (no
local stack), installs Playwright's clock (paused), and starts the client with
`window.ScriptedSocket` as its `WebSocket`: the test opens, fails or closes each socket, hands it
server frames (builders below, PROTOCOL §8) and reads back the exact text the client sent.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, Route, expect

from tests.browser.pages import ClientPage
from tools.local import static_files

ORIGIN = "http://opensock.test"
WS_URL = "ws://opensock.test/v1"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

SCRIPTED_SOCKET = """
window.sockets = [];
window.nextSocket = "hold";  // what a new socket does by itself: "hold" (wait) or "fail"
window.ScriptedSocket = class {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.createdAt = Date.now();
    window.sockets.push(this);
    if (window.nextSocket === "fail") queueMicrotask(() => this.fail());
  }
  send(text) { this.sent.push(text); }
  close(code) { if (this.readyState < 2) { this.readyState = 3; this.closedWith = code ?? null; } }
  open() { this.readyState = 1; this.onopen?.({}); }
  fail() {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: "", wasClean: false });
  }
  receive(frame) { this.onmessage?.({ data: JSON.stringify(frame) }); }
  serverClose(code = 1001, reason = "Going away") {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: true });
  }
};
"""


def fake_jwt(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    payload = {"scope": "connect", "exp": int(START.timestamp()) + 3600, **claims}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJl"


TOKEN = fake_jwt(uid="jim")


def serve_client_files(route: Route) -> None:
    name = route.request.url.rsplit("/", 1)[-1]
    path = static_files._file(static_files.MOUNTS["/clients/js"], name)
    if path is None:
        route.fulfill(status=404, body="not found")
        return
    route.fulfill(path=path, content_type=static_files.CONTENT_TYPES[path.suffix])


class ScriptedClient(ClientPage):
    """The test page whose client talks to `ScriptedSocket`s under a paused fake clock."""

    def __init__(self, page: Page) -> None:
        super().__init__(page, "jim")
        page.context.route(f"{ORIGIN}/clients/js/*", serve_client_files)
        page.add_init_script(SCRIPTED_SOCKET)
        page.clock.install(time=START)

    def start_scripted(self, **options: Any) -> ScriptedClient:
        self.page.goto(ORIGIN + "/clients/js/test.html")
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")
        self.page.clock.pause_at(START + timedelta(seconds=1))
        self.page.evaluate(
            """options => window.startClient({url: options.url, token: options.token,
                 WebSocket: window.ScriptedSocket, random: () => 0, ...options.rest})""",
            {"url": WS_URL, "token": TOKEN, "rest": options},
        )
        return self

    def sockets(self) -> int:
        return int(self.page.evaluate("window.sockets.length"))

    def socket(self, expression: str, index: int = -1) -> Any:
        """Evaluate `expression` on `socket` = the scripted socket at `index`."""
        return self.page.evaluate(
            f"index => (socket => {expression})(window.sockets.at(index))", index
        )

    def receive(self, frame: dict[str, Any]) -> None:
        self.page.evaluate("frame => window.sockets.at(-1).receive(frame)", frame)

    def sent(self, index: int = -1) -> list[str]:
        return list(self.socket("socket.sent", index))

    def connect(self, connection_id: str = "Xy3dQe1EoAMCKpQ=", **meta: Any) -> None:
        """Open the last socket and send its `hotsock.connected`."""
        self.socket("socket.open()")
        self.receive(
            {
                "event": "hotsock.connected",
                "data": {
                    "connectionId": connection_id,
                    "connectionExpiresAt": "2026-12-01T11:00:01Z",
                    "connectionSecret": "q8Zr2LmN0pVw4TxY7bKc",
                },
                "meta": {"uid": "jim", "umd": None, **meta},
            }
        )
        expect(self.state).to_have_text("connected")

    def run_for(self, milliseconds: int) -> None:
        self.page.clock.run_for(milliseconds)


# --- server frames (PROTOCOL §8) -------------------------------------------------------------


def subscribed(channel: str, members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {} if members is None else {"members": members}
    return {
        "event": "hotsock.subscribed",
        "channel": channel,
        "data": data,
        "meta": {"uid": "jim", "umd": None},
    }


def member_event(
    change: str, channel: str, member: dict[str, Any], members: list[dict[str, Any]]
) -> dict[str, Any]:
    data = {"member": member, "members": members}
    return {"event": f"hotsock.member{change}", "channel": channel, "data": data}


def storage_updated(channel: str, key: str, data: Any, writer: str | None = None) -> dict[str, Any]:
    meta = {"uid": writer, "umd": None} if writer else None
    event = "hotsock.channelStorageUpdated"
    return {"event": event, "channel": channel, "key": key, "data": data, "meta": meta}


def message(
    channel: str, event: str, data: Any, id: str = "01JQ6Y2A0B1C2D3E4F5G6H7J8K"
) -> dict[str, Any]:
    return {"id": id, "event": event, "channel": channel, "data": data}


def error(channel: str, code: str) -> dict[str, Any]:
    return {"event": "hotsock.error", "channel": channel, "error": {"code": code, "message": "no"}}


def reaction(channel: str, message_id: str, value: str, uid: str, added: bool) -> dict[str, Any]:
    action = "add" if added else "remove"
    return {
        "id": f"R{uid}{value}{action}",
        "event": "hotsock.messageReactionAdded" if added else "hotsock.messageReactionRemoved",
        "channel": channel,
        "data": {"messageId": message_id, "reaction": value, "action": action},
        "meta": {"uid": uid, "umd": None},
    }
