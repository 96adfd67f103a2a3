"""`clients/js/opensock.js` on the wire, frame by frame (PROTOCOL §8-§12, §16, §20).

The client runs in Chromium on `clients/js/test.html`, with a scripted WebSocket in place of the
browser's and Playwright's fake clock, so each test says exactly which frames arrive and when,
and reads back the exact text the client sent: timeouts, backoff and heartbeats are checked to
the millisecond without waiting for them. The files are served by routing a made-up origin to
`clients/js/` (no local stack needed).
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import NewPage
from tests.browser.pages import ClientPage, shown
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


@pytest.fixture
def scripted(new_page: NewPage) -> ScriptedClient:
    return ScriptedClient(new_page("jim"))


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


# --- tests ------------------------------------------------------------------------------------


def test_connect_url_watchdog_and_backoff(scripted: ScriptedClient) -> None:
    scripted.start_scripted()
    assert scripted.socket("socket.url") == f"{WS_URL}?token={TOKEN}"

    scripted.socket("socket.open()")  # ... and no hotsock.connected
    expect(scripted.state).to_have_text("open")
    scripted.run_for(4999)
    assert (scripted.sockets(), scripted.socket("socket.readyState")) == (1, 1)
    scripted.run_for(1)
    assert scripted.socket("socket.closedWith", 0) == 1000
    assert scripted.sockets() == 2  # reconnected at once, with the same URL
    assert scripted.socket("socket.url") == f"{WS_URL}?token={TOKEN}"

    scripted.page.evaluate("window.nextSocket = 'fail'")
    scripted.socket("socket.fail()")
    scripted.run_for(10_000)
    created = scripted.page.evaluate("window.sockets.slice(1).map(s => s.createdAt)")
    gaps = [later - earlier for earlier, later in itertools.pairwise(created)]
    assert gaps == [1000, 1500, 2250, 3375]  # 1 s, then × 1.5 (+ random, 0 here)

    scripted.page.evaluate("window.nextSocket = 'hold'")
    scripted.run_for(5063)  # the next delay: 3375 × 1.5
    assert scripted.sockets() == len(created) + 2
    scripted.connect()


def test_frames_sent_pong_and_heartbeats(scripted: ScriptedClient) -> None:
    scripted.start_scripted(heartbeatIntervalSeconds=10)
    scripted.call("{ client.subscribe('room'); }")
    scripted.connect()

    scripted.receive({"event": "hotsock.ping", "data": {}})
    scripted.receive(subscribed("room"))
    scripted.call("{ client.channel('room').publish('chat', 'hi'); }")
    scripted.call("{ client.channel('room').publish('typing'); }")
    scripted.call("{ client.channel('room').setStorage('topic', {text: 'lunch'}); }")
    scripted.call("{ client.channel('room').umdUpdate(a0); }", "umd.token.x")
    scripted.call("{ client.channel('room').react('01JQ6Y1Z7V4T2H3K5M8N9P0QRS', '+1'); }")
    scripted.call("{ client.sendRaw({event: 'hotsock.ping'}); }")
    scripted.call("{ client.unsubscribe('room'); }")
    assert scripted.sent() == [
        '{"event":"hotsock.subscribe","channel":"room"}',
        '{"event":"hotsock.pong"}',
        '{"channel":"room","event":"chat","data":"hi"}',
        '{"channel":"room","event":"typing"}',
        '{"event":"hotsock.channelStorageSet","channel":"room","key":"topic",'
        '"data":{"text":"lunch"}}',
        '{"event":"hotsock.umdUpdate","channel":"room","data":{"token":"umd.token.x"}}',
        '{"channel":"room","event":"hotsock.messageReaction",'
        '"data":{"messageId":"01JQ6Y1Z7V4T2H3K5M8N9P0QRS","reaction":"+1","action":"add"}}',
        '{"event":"hotsock.ping"}',
        '{"event":"hotsock.unsubscribe","channel":"room"}',
    ]

    before = len(scripted.sent())
    scripted.run_for(9999)  # the heartbeat timer started when the socket opened
    assert len(scripted.sent()) == before
    scripted.run_for(1)
    assert scripted.sent()[before:] == ['{"event":"hotsock.heartbeat"}']
    scripted.run_for(10_000)
    assert scripted.sent()[before:] == ['{"event":"hotsock.heartbeat"}'] * 2


def test_members_storage_and_reactions_follow_the_frames(scripted: ScriptedClient) -> None:
    room = "presence.room.42"
    scripted.start_scripted()
    scripted.call("{ client.subscribe(a0); }", room)
    scripted.connect()
    jim, pam = {"uid": "jim", "umd": {"name": "Jim"}}, {"uid": "pam", "umd": None}

    scripted.receive(subscribed(room, [jim]))
    scripted.receive(storage_updated(room, "rules", {"rounds": 3}, writer="referee"))
    scripted.receive(storage_updated(room, "phase", "lobby", writer="referee"))
    scripted.receive(member_event("Added", room, pam, [jim, pam]))
    expect(scripted.members(room)).to_have_text([f"jim {shown(jim['umd'])}", "pam null"])
    expect(scripted.storage_value(room, "rules")).to_have_text(shown({"rounds": 3}))
    expect(scripted.storage_value(room, "phase")).to_have_attribute("data-writer", "referee")

    away = {"uid": "pam", "umd": {"status": "away"}}
    scripted.receive(member_event("Updated", room, away, [jim, away]))
    expect(scripted.member(room, "pam")).to_have_text(f"pam {shown(away['umd'])}")
    scripted.receive(storage_updated(room, "phase", None))
    scripted.receive(storage_updated(room, "rules", {}))  # `{}` clears, as on the server
    scripted.receive(member_event("Removed", room, away, [jim]))
    expect(scripted.members(room)).to_have_text([f"jim {shown(jim['umd'])}"])
    expect(scripted.channel(room).locator(".storage dd")).to_have_count(0)

    target = "01JQ6Y1Z7V4T2H3K5M8N9P0QRS"
    scripted.receive(reaction(room, target, "+1", "jim", added=True))
    scripted.receive(reaction(room, target, "+1", "pam", added=True))
    scripted.receive(reaction(room, target, "heart", "pam", added=True))
    scripted.receive(reaction(room, target, "+1", "jim", added=False))
    counts = scripted.call("client.channel(a0).reactions(a1)", room, target)
    assert counts == {"+1": 1, "heart": 1}


def test_resubscribes_after_a_server_close_with_tokens_and_resume_after(
    scripted: ScriptedClient,
) -> None:
    scripted.start_scripted()
    scripted.call(
        """{ client.subscribe('private.99', {
               resumeAfter: true,
               subscribeToken: ({channel, connectionId}) => window.subscribeToken(connectionId),
             }); }"""
    )
    token = fake_jwt(scope="subscribe")
    scripted.page.evaluate(
        "token => { window.subscribeToken = id => (window.asked = id, token); }", token
    )
    scripted.connect(connection_id="first=")
    [first] = [json.loads(frame) for frame in scripted.sent()]
    assert first == {
        "event": "hotsock.subscribe",
        "channel": "private.99",
        "data": {"token": token},
    }
    assert scripted.page.evaluate("window.asked") == "first="
    scripted.receive(subscribed("private.99"))
    scripted.receive(message("private.99", "chat", "hi", id="01JQ6Y2A0B1C2D3E4F5G6H7J8K"))
    scripted.receive(storage_updated("private.99", "gone", 1))
    expect(scripted.messages("private.99", "chat")).to_have_count(1)

    scripted.socket("socket.serverClose()")
    expect(scripted.disconnects).to_have_text("1")
    assert scripted.sockets() == 2  # the first attempt is immediate
    scripted.connect(connection_id="second=")
    [again] = [json.loads(frame) for frame in scripted.sent()]
    assert again["data"] == {"token": token, "resumeAfter": "01JQ6Y2A0B1C2D3E4F5G6H7J8K"}
    assert scripted.page.evaluate("window.asked") == "second="
    assert scripted.call("client.connectionId") == "second="

    scripted.receive(subscribed("private.99"))  # storage restarts from the new snapshot
    expect(scripted.channel_state("private.99")).to_have_text("subscribed")
    assert scripted.call("client.channel('private.99').storage") == {}


def test_refusals_aliases_and_storage_reads(scripted: ScriptedClient) -> None:
    scripted.start_scripted()
    outcome = (
        ".then(value => value, error => error.code)"  # handled at once: no unhandled rejection
    )
    scripted.call(f"{{ window.refused = client.subscribe('secret').whenSubscribed(){outcome}; }}")
    scripted.call("{ client.subscribe('room'); client.subscribe('notifications'); }")
    scripted.connect()

    scripted.receive(error("secret", "SUBSCRIBE_PERMISSION_DENIED"))
    scripted.receive(error("room", "ALREADY_SUBSCRIBED"))
    alias_meta = {"channelAlias": "notifications", "uid": "jim", "umd": None}
    scripted.receive({**subscribed("notifications-jim"), "meta": alias_meta})
    scripted.receive(message("notifications-jim", "ping-me", 7))

    expect(scripted.channel_state("secret")).to_have_text("failed")
    assert scripted.page.evaluate("window.refused") == "SUBSCRIBE_PERMISSION_DENIED"
    expect(scripted.channel_state("room")).to_have_text("subscribed")
    expect(scripted.messages("notifications", "ping-me")).to_have_text(["7"])
    assert scripted.call("client.channel('notifications').realName") == "notifications-jim"

    scripted.call("{ window.read = client.channel('room').getStorage('topic'); }")
    scripted.call(f"{{ window.denied = client.channel('room').getStorage('secret'){outcome}; }}")
    data = {**storage_updated("room", "topic", "lunch", writer="pam")}
    scripted.receive({**data, "event": "hotsock.channelStorageData"})
    scripted.receive(error("room", "STORAGE_GET_PERMISSION_DENIED"))
    assert scripted.page.evaluate("window.read") == {
        "data": "lunch",
        "meta": {"uid": "pam", "umd": None},
    }
    assert scripted.page.evaluate("window.denied") == "STORAGE_GET_PERMISSION_DENIED"


def test_token_checks_match_hotsock_js(scripted: ScriptedClient) -> None:
    scripted.start_scripted(lazyConnection=True)
    check = "t => import('./opensock.js').then(m => { try { m.checkToken(t); return 'ok'; } "
    check += "catch (e) { return e.code; } })"
    now = int(START.timestamp())
    assert scripted.page.evaluate(check, TOKEN) == "ok"
    assert scripted.page.evaluate(check, fake_jwt(exp=now - 10)) == "TOKEN_EXPIRED"
    assert scripted.page.evaluate(check, "not-a-token") == "INVALID_TOKEN"
    assert scripted.page.evaluate(check, "a.b$.c") == "INVALID_TOKEN"
    assert scripted.sockets() == 0  # lazy: nothing opened before the first subscribe
