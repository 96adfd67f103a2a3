"""`clients/js/opensock.js` in Chromium against the real local stack (PROTOCOL §7, §8, §10-§12,
§20; SERVER-API §2, §4).

Jim and Pam each get a browser context of their own, a real JWT minted with the stack's key, and
the test page. Everything is asserted on what the page shows or on values the client holds,
waited for by Playwright; nothing sleeps.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.pages import ClientPage, shown
from tests.local.harness import StackHandle

pytestmark = pytest.mark.local

GRANTS = {
    "*": {
        "subscribe": True,
        "messages": {"chat": {"publish": True}},
        "storage": {"*": {"observe": True, "get": True, "set": True}},
    }
}


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


def open_client(stack: StackHandle, new_page: NewPage, uid: str, umd: Any = None) -> ClientPage:
    token = stack.mint_token(uid=uid, umd=umd, channels=GRANTS)
    client = ClientPage(new_page(uid), uid).start(
        stack.http_url, url=stack.ws_url, token=token, httpApiUrl=stack.http_url
    )
    expect(client.state).to_have_text("connected")
    return client


def server_publish(stack: StackHandle, payload: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {stack.publish_key}"}
    status, _, body = stack.http("POST", "/publish", payload, headers)
    assert status == 202, body


def test_presence_members_see_each_other_join_and_leave(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim alone on a presence channel
    room = unique("presence.room")
    jim = open_client(stack, new_page, "jim", {"name": "Jim"})
    pam = open_client(stack, new_page, "pam", {"name": "Pam"})
    jim.subscribe(room)
    expect(jim.members(room)).to_have_text([f"jim {shown({'name': 'Jim'})}"])

    # WHEN Pam subscribes in her own browser context
    pam.subscribe(room)

    # THEN each sees the other
    expect(jim.member(room, "pam")).to_have_text(f"pam {shown({'name': 'Pam'})}")
    expect(pam.members(room)).to_have_count(2)
    expect(pam.member(room, "jim")).to_have_text(f"jim {shown({'name': 'Jim'})}")
    assert pam.call("client.channel(a0).members.map(m => m.uid)", room) == ["jim", "pam"]

    # WHEN Pam leaves
    pam.call("{ client.channel(a0).unsubscribe(); }", room)

    # THEN Jim sees her removed, and Pam's page no longer holds the channel's members
    expect(jim.member(room, "pam")).to_have_count(0)
    expect(jim.members(room)).to_have_text([f"jim {shown({'name': 'Jim'})}"])
    expect(pam.channel_state(room)).to_have_text("none")
    expect(pam.members(room)).to_have_count(0)


def test_storage_written_in_one_context_is_synced_in_the_other(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim wrote a value (and, observing the key, sees his own write)
    room = unique("presence.board")
    jim = open_client(stack, new_page, "jim")
    jim.subscribe(room)
    jim.call("{ client.channel(a0).setStorage('topic', {text: 'lunch'}); }", room)
    expect(jim.storage_value(room, "topic")).to_have_text(shown({"text": "lunch"}))

    # WHEN Pam subscribes later
    pam = open_client(stack, new_page, "pam")
    pam.subscribe(room)

    # THEN the snapshot after her hotsock.subscribed brings what Jim wrote
    expect(pam.storage_value(room, "topic")).to_have_text(shown({"text": "lunch"}))
    expect(pam.storage_value(room, "topic")).to_have_attribute("data-writer", "jim")

    # WHEN Pam writes; THEN Jim's synced storage follows, and reads agree
    pam.call("{ client.channel(a0).setStorage('topic', 'dinner'); }", room)
    expect(jim.storage_value(room, "topic")).to_have_text(shown("dinner"))
    expect(jim.storage_value(room, "topic")).to_have_attribute("data-writer", "pam")
    read = jim.call("client.channel(a0).getStorage('topic')", room)
    assert read == {"data": "dinner", "meta": {"uid": "pam", "umd": None}}
    over_http = jim.call("client.http.channelStorageGet({channel: a0, key: 'topic'})", room)
    assert (over_http["data"], over_http["meta"]["uid"]) == ("dinner", "pam")

    # WHEN Jim clears the key; THEN it is gone on both pages
    jim.call("{ client.channel(a0).setStorage('topic', null); }", room)
    expect(pam.storage_value(room, "topic")).to_have_count(0)
    expect(jim.storage_value(room, "topic")).to_have_count(0)
    assert pam.call("client.channel(a0).storage", room) == {}


def test_messages_published_over_http_and_by_clients_reach_the_page(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim and Pam on a channel
    room = unique("room")
    jim = open_client(stack, new_page, "jim")
    pam = open_client(stack, new_page, "pam")
    pam.subscribe(room)
    jim.subscribe(room)

    # WHEN the backend publishes over the publish URL; THEN Pam's page shows it
    server_publish(stack, {"channel": room, "event": "announcement", "data": {"text": "hello"}})
    expect(pam.messages(room, "announcement")).to_have_text([shown({"text": "hello"})])

    # WHEN Jim publishes over the socket; THEN it reaches Pam, from Jim
    jim.call("{ client.channel(a0).publish('chat', 'over the socket'); }", room)
    expect(pam.messages(room, "chat")).to_have_text([shown("over the socket")])

    # WHEN Jim publishes over the Client HTTP API (a socket publish is fire-and-forget, so the
    # two transports' order is only known once the first has arrived)
    accepted = jim.call(
        "client.http.publishMessage({channel: a0, event: 'chat', data: 'over http'})", room
    )
    assert accepted == {"channel": room, "event": "chat"}

    # THEN it follows on Pam's page, from Jim, and Jim sees neither (no echo)
    expect(pam.messages(room, "chat")).to_have_text([shown("over the socket"), shown("over http")])
    expect(pam.messages(room, "chat").first).to_have_attribute("data-sender", "jim")
    expect(jim.messages(room, "announcement")).to_have_count(1)
    expect(jim.messages(room, "chat")).to_have_count(0)  # no echo without the `echo` grant


def test_a_socket_closed_by_the_server_reconnects_and_resubscribes(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Pam subscribed
    room = unique("room")
    pam = open_client(stack, new_page, "pam")
    pam.subscribe(room)
    first = pam.connection_id()

    # WHEN the server closes her socket (management API DELETE @connections/{id})
    status, _, _ = stack.http("DELETE", f"/v1/@connections/{urllib.parse.quote(first, safe='')}")
    assert status == 204

    # THEN the client connects again and re-subscribes by itself ...
    expect(pam.disconnects).to_have_text("1")
    pam.wait_until("client.connected && client.connectionId !== a0", first)
    expect(pam.channel_state(room)).to_have_text("subscribed")
    subscribes = pam.page.locator('#frames li[data-event="hotsock.subscribed"]')
    expect(subscribes).to_have_count(2)
    # ... and still receives the channel's messages
    server_publish(stack, {"channel": room, "event": "after", "data": 1})
    expect(pam.messages(room, "after")).to_have_text([json.dumps(1)])
