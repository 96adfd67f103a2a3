"""`clients/js/opensock.js` on the wire, frame by frame (PROTOCOL §8-§12, §16, §20).

Each test says exactly which frames arrive and when (tests/browser/scripted.py: a scripted
socket and Playwright's fake clock) and reads back the exact text the client sent, so timeouts,
backoff and heartbeats are checked to the millisecond without waiting for them.
"""

from __future__ import annotations

import itertools
import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.pages import shown
from tests.browser.scripted import (
    START,
    TOKEN,
    WS_URL,
    ScriptedClient,
    error,
    fake_jwt,
    member_event,
    message,
    reaction,
    storage_updated,
    subscribed,
)


@pytest.fixture
def scripted(new_page: NewPage) -> ScriptedClient:
    return ScriptedClient(new_page("jim"))


def test_a_socket_without_hotsock_connected_in_5_s_is_replaced_at_once(
    scripted: ScriptedClient,
) -> None:
    # GIVEN a client whose socket opened, with the token appended to the URL as is
    scripted.start_scripted()
    assert scripted.socket("socket.url") == f"{WS_URL}?token={TOKEN}"
    scripted.socket("socket.open()")
    expect(scripted.state).to_have_text("open")

    # WHEN no hotsock.connected arrives for 4999 ms, then 1 ms more
    scripted.run_for(4999)
    assert (scripted.sockets(), scripted.socket("socket.readyState")) == (1, 1)
    scripted.run_for(1)

    # THEN the socket is closed and a new one opened at once, with the same URL
    assert scripted.socket("socket.closedWith", 0) == 1000
    assert scripted.sockets() == 2
    assert scripted.socket("socket.url") == f"{WS_URL}?token={TOKEN}"


def test_failed_attempts_wait_1_s_then_half_as_long_again(scripted: ScriptedClient) -> None:
    # GIVEN a client whose first socket does not open, nor any of the next ones
    scripted.start_scripted()
    scripted.page.evaluate("window.nextSocket = 'fail'")

    # WHEN the first attempt fails and time passes
    scripted.socket("socket.fail()")
    scripted.run_for(10_000)

    # THEN the attempts are 1 s, then × 1.5 (+ random, 0 here) apart
    created = scripted.page.evaluate("window.sockets.map(s => s.createdAt)")
    gaps = [later - earlier for earlier, later in itertools.pairwise(created)]
    assert gaps == [1000, 1500, 2250, 3375]
    # ... and the one after 5062.5 ms that opens ends the loop
    scripted.page.evaluate("window.nextSocket = 'hold'")
    scripted.run_for(5063)
    assert scripted.sockets() == len(created) + 1
    scripted.connect()


def test_frames_are_sent_as_hotsock_js_sends_them(scripted: ScriptedClient) -> None:
    # GIVEN a connected client that wants "room"
    scripted.start_scripted()
    scripted.call("{ client.subscribe('room'); }")
    scripted.connect()

    # WHEN the server pings and confirms, and the app uses every sending method
    scripted.receive({"event": "hotsock.ping", "data": {}})
    scripted.receive(subscribed("room"))
    scripted.call("{ client.channel('room').publish('chat', 'hi'); }")
    scripted.call("{ client.channel('room').publish('typing'); }")
    scripted.call("{ client.channel('room').setStorage('topic', {text: 'lunch'}); }")
    scripted.call("{ client.channel('room').umdUpdate(a0); }", "umd.token.x")
    scripted.call("{ client.channel('room').react('01JQ6Y1Z7V4T2H3K5M8N9P0QRS', '+1'); }")
    scripted.call("{ client.sendRaw({event: 'hotsock.ping'}); }")
    scripted.call("{ client.unsubscribe('room'); }")

    # THEN these are the exact texts on the wire (PROTOCOL §20.2)
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


def test_heartbeats_every_interval_from_the_socket_opening(scripted: ScriptedClient) -> None:
    # GIVEN a client with a 10 s heartbeat interval whose socket opened
    scripted.start_scripted(heartbeatIntervalSeconds=10)
    scripted.connect()

    # WHEN 9999 ms pass, then 1 ms, then 10 s
    scripted.run_for(9999)
    assert scripted.sent() == []
    scripted.run_for(1)
    first = scripted.sent()
    scripted.run_for(10_000)

    # THEN one heartbeat went at 10 s (never late; early by up to random × 10 %) and one at 20 s
    assert first == ['{"event":"hotsock.heartbeat"}']
    assert scripted.sent() == ['{"event":"hotsock.heartbeat"}'] * 2


def test_members_storage_and_reactions_follow_the_frames(scripted: ScriptedClient) -> None:
    # GIVEN a client subscribing to a presence channel
    room = "presence.room.42"
    scripted.start_scripted()
    scripted.call("{ client.subscribe(a0); }", room)
    scripted.connect()
    jim, pam = {"uid": "jim", "umd": {"name": "Jim"}}, {"uid": "pam", "umd": None}

    # WHEN it is confirmed, gets the storage snapshot, and Pam joins
    scripted.receive(subscribed(room, [jim]))
    scripted.receive(storage_updated(room, "rules", {"rounds": 3}, writer="referee"))
    scripted.receive(storage_updated(room, "phase", "lobby", writer="referee"))
    scripted.receive(member_event("Added", room, pam, [jim, pam]))

    # THEN the page shows both members and both entries
    expect(scripted.members(room)).to_have_text([f"jim {shown(jim['umd'])}", "pam null"])
    expect(scripted.storage_value(room, "rules")).to_have_text(shown({"rounds": 3}))
    expect(scripted.storage_value(room, "phase")).to_have_attribute("data-writer", "referee")

    # WHEN Pam goes away, both entries are cleared (null, then {}) and Pam leaves
    away = {"uid": "pam", "umd": {"status": "away"}}
    scripted.receive(member_event("Updated", room, away, [jim, away]))
    expect(scripted.member(room, "pam")).to_have_text(f"pam {shown(away['umd'])}")
    scripted.receive(storage_updated(room, "phase", None))
    scripted.receive(storage_updated(room, "rules", {}))
    scripted.receive(member_event("Removed", room, away, [jim]))

    # THEN only Jim and no entry are left
    expect(scripted.members(room)).to_have_text([f"jim {shown(jim['umd'])}"])
    expect(scripted.channel(room).locator(".storage dd")).to_have_count(0)

    # WHEN reactions come and go
    target = "01JQ6Y1Z7V4T2H3K5M8N9P0QRS"
    scripted.receive(reaction(room, target, "+1", "jim", added=True))
    scripted.receive(reaction(room, target, "+1", "pam", added=True))
    scripted.receive(reaction(room, target, "heart", "pam", added=True))
    scripted.receive(reaction(room, target, "+1", "jim", added=False))

    # THEN the counts follow them
    counts = scripted.call("client.channel(a0).reactions(a1)", room, target)
    assert counts == {"+1": 1, "heart": 1}


def test_resubscribes_after_a_server_close_with_tokens_and_resume_after(
    scripted: ScriptedClient,
) -> None:
    # GIVEN a channel with a subscribe-token function and `resumeAfter: true`
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

    # WHEN the server closes the socket
    scripted.socket("socket.serverClose()")

    # THEN a new one is opened at once, and once connected the channel is subscribed again,
    # with a token asked for the new connection and the last message id seen
    expect(scripted.disconnects).to_have_text("1")
    assert scripted.sockets() == 2
    scripted.connect(connection_id="second=")
    [again] = [json.loads(frame) for frame in scripted.sent()]
    assert again["data"] == {"token": token, "resumeAfter": "01JQ6Y2A0B1C2D3E4F5G6H7J8K"}
    assert scripted.page.evaluate("window.asked") == "second="
    # ... and storage restarts from the new snapshot
    scripted.receive(subscribed("private.99"))
    expect(scripted.channel_state("private.99")).to_have_text("subscribed")
    assert scripted.call("client.channel('private.99').storage") == {}


def test_refusals_aliases_and_storage_reads(scripted: ScriptedClient) -> None:
    # GIVEN a connected client wanting three channels (promises handled at once, so no
    # rejection is ever unhandled)
    outcome = ".then(value => value, error => error.code)"
    scripted.start_scripted()
    scripted.call(f"{{ window.refused = client.subscribe('secret').whenSubscribed(){outcome}; }}")
    scripted.call("{ client.subscribe('room'); client.subscribe('notifications'); }")
    scripted.connect()

    # WHEN one is refused, one already subscribed, one is an alias
    scripted.receive(error("secret", "SUBSCRIBE_PERMISSION_DENIED"))
    scripted.receive(error("room", "ALREADY_SUBSCRIBED"))
    alias_meta = {"channelAlias": "notifications", "uid": "jim", "umd": None}
    scripted.receive({**subscribed("notifications-jim"), "meta": alias_meta})
    scripted.receive(message("notifications-jim", "ping-me", 7))

    # THEN each ends as hotsock-js would have it, and the alias gets its real channel's frames
    expect(scripted.channel_state("secret")).to_have_text("failed")
    assert scripted.page.evaluate("window.refused") == "SUBSCRIBE_PERMISSION_DENIED"
    expect(scripted.channel_state("room")).to_have_text("subscribed")
    expect(scripted.messages("notifications", "ping-me")).to_have_text(["7"])
    assert scripted.call("client.channel('notifications').realName") == "notifications-jim"

    # WHEN two storage reads are answered, one with data and one with a refusal
    scripted.call("{ window.read = client.channel('room').getStorage('topic'); }")
    scripted.call(f"{{ window.denied = client.channel('room').getStorage('secret'){outcome}; }}")
    data = {**storage_updated("room", "topic", "lunch", writer="pam")}
    scripted.receive({**data, "event": "hotsock.channelStorageData"})
    scripted.receive(error("room", "STORAGE_GET_PERMISSION_DENIED"))

    # THEN one resolves with {data, meta} and the other rejects with the code
    assert scripted.page.evaluate("window.read") == {
        "data": "lunch",
        "meta": {"uid": "pam", "umd": None},
    }
    assert scripted.page.evaluate("window.denied") == "STORAGE_GET_PERMISSION_DENIED"


def test_tokens_are_checked_as_hotsock_js_checks_them(scripted: ScriptedClient) -> None:
    # GIVEN the module in a page (a lazy client: no socket until the first subscribe)
    scripted.start_scripted(lazyConnection=True)
    check = "t => import('./opensock.js').then(m => { try { m.checkToken(t); return 'ok'; } "
    check += "catch (e) { return e.code; } })"
    now = int(START.timestamp())

    # WHEN / THEN tokens are accepted only with a JWT shape, a JSON payload and `exp` not past
    assert scripted.page.evaluate(check, TOKEN) == "ok"
    assert scripted.page.evaluate(check, fake_jwt(exp=now - 10)) == "TOKEN_EXPIRED"
    assert scripted.page.evaluate(check, "not-a-token") == "INVALID_TOKEN"
    assert scripted.page.evaluate(check, "a.b$.c") == "INVALID_TOKEN"
    assert scripted.sockets() == 0
    scripted.call("{ client.channel('room').subscribe(); }")
    assert scripted.sockets() == 1
