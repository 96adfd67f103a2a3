"""The chat demo (`examples/chat/`, served at `/examples/chat/`) as a test sees it."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

CHAT_PAGE = "/examples/chat/"


class ChatPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def join(self, base_url: str, name: str, room: str) -> ChatPage:
        self.page.goto(base_url + CHAT_PAGE)
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")
        self.page.fill("#join-name", name)
        self.page.fill("#join-room", room)
        self.page.click("#join button")
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        expect(self.page.locator("body")).to_have_attribute("data-view", "chat")
        expect(self.page.locator("#connection")).to_have_text("connected")

    def reload(self) -> None:
        self.page.reload()
        self.wait_connected()

    # --- presence ---

    def member(self, uid: str) -> Locator:
        return self.page.locator(f'#members li[data-uid="{uid}"]')

    def status_of(self, uid: str) -> Locator:
        return self.member(uid).locator(".status")

    def set_status(self, status: str) -> None:
        self.page.select_option("#my-status", status)

    # --- settings ---

    def save_settings(self, topic: str, color: str) -> None:
        self.page.fill("#settings-topic", topic)
        self.page.select_option("#settings-color", color)
        self.page.click("#settings button")

    @property
    def topic(self) -> Locator:
        return self.page.locator("#room-topic")

    # --- messages ---

    def send(self, text: str) -> None:
        self.page.fill("#message", text)
        self.page.click("#composer button")

    def message(self, text: str) -> Locator:
        return self.page.locator("#messages li.message").filter(has_text=text)

    def reaction(self, text: str, reaction: str) -> Locator:
        return self.message(text).locator(f'button.reaction[data-reaction="{reaction}"]')

    # --- poll ---

    def start_poll(self, question: str, options: str, seconds: int) -> None:
        self.page.fill("#poll-question", question)
        self.page.fill("#poll-options", options)
        self.page.fill("#poll-seconds", str(seconds))
        self.page.click("#poll-form button")

    @property
    def poll(self) -> Locator:
        return self.page.locator("#poll")

    def vote(self, option: str) -> None:
        self.poll.get_by_role("button", name=option).click()

    def votes_for(self, index: int) -> Locator:
        return self.poll.locator(f'li[data-option="{index}"] .count')
