"""The web console (`clients/console/`) in Chromium against the real local stack (issue #16).

Each user has a browser context of their own and does what a person would: picks a preset,
mints, connects, subscribes, types and clicks. Everything is asserted on what the page shows.
"""

from __future__ import annotations

import re
import uuid

import jwt
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NewPage, PageErrors
from tests.browser.console_page import ConsolePage
from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


def open_console(stack: StackHandle, new_page: NewPage, user: str) -> ConsolePage:
    return ConsolePage(new_page(user)).open(stack.http_url)


def connected_console(
    stack: StackHandle, new_page: NewPage, uid: str, preset: str = "chat user", **mint: object
) -> ConsolePage:
    console = open_console(stack, new_page, uid)
    console.mint(preset, uid, **mint)  # type: ignore[arg-type]
    expect(console.token_check).to_have_text("✓ the local stack accepts this connect token")
    console.connect()
    return console


def test_mint_connect_and_watch_presence_members_come_and_go(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim's console: a chat-user token minted from the preset, decoded, connected
    room = unique("presence.room")
    jim = open_console(stack, new_page, "jim")
    jim.mint("chat user", "jim")
    expect(jim.token_claims).to_contain_text('"uid": "jim"')
    expect(jim.token_expiry).to_contain_text("in 59m")
    jim.connect()
    expect(jim.page.locator("#connection-left")).to_contain_text("1h 59m")
    jim.subscribe(room)
    expect(jim.members(room)).to_have_text(['jim{"name":"jim"}'])

    # WHEN Pam joins from her own browser context, with a presence-viewer token
    pam = connected_console(stack, new_page, "pam", "presence viewer")
    pam.subscribe(room)

    # THEN Jim's member list shows her, with her umd
    expect(jim.member(room, "pam")).to_have_text('pam{"name":"pam","role":"viewer"}')
    expect(pam.members(room)).to_have_count(2)

    # WHEN Pam leaves
    pam.unsubscribe(room)

    # THEN she is gone from Jim's list
    expect(jim.member(room, "pam")).to_have_count(0)
    expect(jim.members(room)).to_have_count(1)


def test_a_storage_value_reaches_another_console_and_disappears_at_its_ttl(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim may write storage with a 3 s TTL, and Pam observes the channel's storage
    channel = unique("match")
    claims = {
        "uid": "jim",
        "channels": {"*": {"subscribe": True, "storage": {"*": {"set": True, "store": 3}}}},
    }
    jim = connected_console(stack, new_page, "jim", claims=claims)
    pam = connected_console(stack, new_page, "pam", "storage observer")
    pam.subscribe(channel)
    pam.show_storage(channel)

    # WHEN Jim sets a value from his storage panel
    jim.subscribe(channel)
    jim.show_storage(channel)
    jim.set_storage("phase", '{"round":2}')

    # THEN it appears in Pam's storage panel with its writer and a TTL counting down
    row = pam.storage_row("phase")
    expect(row.locator(".data")).to_have_text('{"round":2}')
    expect(row.locator(".meta")).to_contain_text('"uid":"jim"')
    expect(row.locator(".ttl")).to_have_text(re.compile(r"^[123]s$"))
    expect(row.locator(".ttl")).to_have_text("1s")

    # AND it disappears when the TTL passes (the server sends no frame: PROTOCOL §11.5)
    expect(row).to_have_count(0)
    expect(pam.page.locator("#storage-entries tr")).to_have_count(0)


def test_a_message_published_over_http_appears_in_the_frames_logs(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim and Pam on one channel
    room = unique("room")
    jim = connected_console(stack, new_page, "jim")
    pam = connected_console(stack, new_page, "pam")
    jim.subscribe(room)
    pam.subscribe(room)

    # WHEN Jim publishes over the Client HTTP API
    jim.publish(room, "chat", '{"text":"over HTTP"}', over="http")

    # THEN his console shows the 202, and both frames logs hold the message
    expect(jim.publish_result).to_contain_text("202")
    expect(jim.frames("http").first).to_contain_text("202 /connection/publishMessage")
    delivered = pam.frames("in", "chat")
    expect(delivered).to_have_count(1)
    expect(delivered).to_contain_text('"text": "over HTTP"')
    expect(delivered).to_contain_text('"uid": "jim"')
    expect(jim.frames("in", "chat")).to_contain_text('"text": "over HTTP"')  # echo: true

    # AND the filter narrows the log to what matches
    pam.page.fill("#frame-filter", "no such text")
    expect(delivered).to_be_hidden()


@pytest.mark.parametrize(
    ("token_kind", "reason"),
    [
        ("foreign key", "Refused: signature verification failed (INVALID_TOKEN, HTTP 401)"),
        ("umd scope", "Refused: token lacks the connect scope (TOKEN_NOT_ALLOWED, HTTP 403)"),
    ],
)
def test_a_refused_token_shows_why(
    stack: StackHandle, new_page: NewPage, page_errors: PageErrors, token_kind: str, reason: str
) -> None:
    # GIVEN a token the stack refuses, in the token field
    # (Chromium logs the refused handshake itself: that one console error is expected)
    page_errors.expect_console_error(r"WebSocket connection to .* failed")
    console = open_console(stack, new_page, "jim")
    if token_kind == "umd scope":
        console.mint("umd updater", "jim")
    else:
        foreign = jwt.encode(
            {"scope": "connect", "uid": "jim", "exp": 4102444800},
            "another-installation-signing-key-0123456789",
        )
        console.page.fill("#token", foreign)
        expect(console.token_check).to_have_text("✗ signature verification failed")

    # WHEN connecting
    console.page.click("#connect")

    # THEN the handshake is refused (a browser sees only 1006) and the console names why
    expect(console.refusal).to_have_text(reason)
    expect(console.page.locator("#last-close")).to_contain_text("1006")
    expect(console.state).to_have_text("closed")
    assert page_errors.expected, "the browser saw no refused handshake"


def test_an_expired_token_is_not_even_sent(stack: StackHandle, new_page: NewPage) -> None:
    # GIVEN a token that expired a minute ago
    console = open_console(stack, new_page, "jim")
    console.mint("chat user", "jim", ttl=-60)
    expect(console.token_expiry).to_contain_text("expired at")
    expect(console.token_check).to_have_text("✗ token expired")

    # WHEN connecting
    console.page.click("#connect")

    # THEN the client refuses to use it (as hotsock-js does), and says so
    expect(console.refusal).to_contain_text("Not sent: token expired before it was used")
    expect(console.state).to_have_text("closed")


def test_a_deployed_console_never_calls_the_local_endpoints(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN the console opened as WebConsoleHttpUrl opens it: told where to connect
    page = new_page("jim")
    local_calls: list[str] = []
    page.on("request", lambda r: local_calls.append(r.url) if "/_local" in r.url else None)
    query = f"?wssUrl={stack.ws_url}&httpApiUrl={stack.http_url}"
    console = ConsolePage(page).open(stack.http_url, query)

    # THEN it offers no minting and no local panels
    expect(page.locator("body")).to_have_attribute("data-mode", "deployed")
    expect(page.locator("#mint")).to_be_hidden()
    expect(page.locator("#events-panel")).to_be_hidden()

    # WHEN a token from a backend is pasted and used
    page.fill("#token", stack.mint_token(uid="jim", channels={"*": {"subscribe": True}}))
    console.connect()
    console.subscribe(unique("room"))

    # THEN it works against the stack, and not one request went to /_local
    expect(console.token_claims).to_contain_text('"uid": "jim"')
    assert local_calls == []
