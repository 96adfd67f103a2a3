"""The chat demo (`examples/chat/`) in two browser contexts against the real local stack
(issue #16): presence with live status, room settings in storage, messages with history and
reactions, and a poll closed by a scheduled storage write. Tokens come from the demo's own
backend (`examples/chat/backend.py`), as in a real app.
"""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.chat_page import ChatPage
from tests.browser.conftest import NewPage
from tests.local.harness import StackHandle

pytestmark = pytest.mark.local


def unique_room() -> str:
    return f"room-{uuid.uuid4().hex[:8]}"


def join(stack: StackHandle, new_page: NewPage, name: str, room: str) -> ChatPage:
    return ChatPage(new_page(name)).join(stack.http_url, name, room)


def test_both_users_see_each_other_and_a_live_status(stack: StackHandle, new_page: NewPage) -> None:
    # GIVEN Jim and Pam in one room, each in a browser context of their own
    room = unique_room()
    jim = join(stack, new_page, "Jim", room)
    pam = join(stack, new_page, "Pam", room)

    # THEN each sees the other, online
    expect(jim.status_of("pam")).to_have_text("online")
    expect(pam.status_of("jim")).to_have_text("online")

    # WHEN Pam sets herself away
    pam.set_status("away")

    # THEN Jim's member list shows it (hotsock.memberUpdated)
    expect(jim.status_of("pam")).to_have_text("away")
    expect(jim.member("pam")).to_have_attribute("data-status", "away")

    # WHEN Jim types, THEN Pam sees him typing, and online again once he has sent
    jim.page.fill("#message", "hel")
    expect(pam.status_of("jim")).to_have_text("typing…")
    jim.send("hello")
    expect(pam.status_of("jim")).to_have_text("online")


def test_room_settings_written_before_a_newcomer_joins_are_shown_on_join(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim set the room's topic and colour, alone in the room
    room = unique_room()
    jim = join(stack, new_page, "Jim", room)
    jim.save_settings("Friday lunch", "teal")
    expect(jim.topic).to_have_text(f"#{room} · Friday lunch")

    # WHEN Pam joins afterwards
    pam = join(stack, new_page, "Pam", room)

    # THEN she gets them at once, from the storage snapshot that follows her subscribe
    expect(pam.topic).to_have_text(f"#{room} · Friday lunch")
    expect(pam.page.locator("body")).to_have_attribute("data-color", "teal")


def test_a_message_and_a_reaction_reach_the_other_side_and_survive_a_reload(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim and Pam in one room
    room = unique_room()
    jim = join(stack, new_page, "Jim", room)
    pam = join(stack, new_page, "Pam", room)

    # WHEN Jim sends a message and Pam reacts to it with a heart
    jim.send("pizza at noon?")
    expect(pam.message("pizza at noon?")).to_contain_text("Jim")
    pam.reaction("pizza at noon?", "❤️").click()

    # THEN Jim sees the reaction, and Pam's own counts it as hers
    expect(jim.reaction("pizza at noon?", "❤️")).to_have_text("❤️ 1")
    expect(pam.reaction("pizza at noon?", "❤️")).to_have_attribute("data-mine", "")

    # WHEN Jim reloads the page
    jim.reload()

    # THEN the history comes back with its reaction counts (connection/listMessages)
    expect(jim.message("pizza at noon?")).to_have_count(1)
    expect(jim.reaction("pizza at noon?", "❤️")).to_have_text("❤️ 1")
    expect(jim.reaction("pizza at noon?", "👍")).to_have_attribute("data-count", "0")


def test_the_poll_closes_at_its_scheduled_time_in_both(
    stack: StackHandle, new_page: NewPage
) -> None:
    # GIVEN Jim and Pam in one room
    room = unique_room()
    jim = join(stack, new_page, "Jim", room)
    pam = join(stack, new_page, "Pam", room)

    # WHEN Jim starts a poll that closes in 3 s, and Pam votes
    started = time.time()
    jim.start_poll("Lunch?", "pizza, sushi", 3)
    expect(pam.poll).to_have_attribute("data-state", "open")
    pam.vote("sushi")
    expect(jim.votes_for(1)).to_have_text("1")

    # THEN at its time the scheduled storage write closes it, for both
    expect(jim.poll).to_have_attribute("data-state", "closed")
    expect(pam.poll).to_contain_text("Poll closed")
    expect(pam.poll.get_by_role("button", name="pizza")).to_be_disabled()
    assert time.time() - started >= 2, "closed before its time"
