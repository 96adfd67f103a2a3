"""The web console (`clients/console/`, served at `/` by the local stack) as a test sees it.

Each method does what a person does on the page (fill, click) and each locator names what the
page shows; `expect` waits on them.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Locator, Page, expect


class ConsolePage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, base_url: str, query: str = "") -> ConsolePage:
        self.page.goto(f"{base_url}/{query}")
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")
        return self

    # --- token ---

    def mint(
        self,
        preset: str = "chat user",
        uid: str = "jim",
        claims: dict[str, Any] | None = None,
        ttl: int = 3600,
    ) -> None:
        self.page.select_option("#preset", preset)
        self.page.fill("#preset-uid", uid)
        self.page.dispatch_event("#preset-uid", "change")
        if claims is not None:
            self.page.fill("#claims-editor", json.dumps(claims))
        self.page.fill("#token-ttl", str(ttl))
        self.page.click("#mint")
        expect(self.page.locator("#mint-result")).to_contain_text("minted")

    @property
    def token_check(self) -> Locator:
        return self.page.locator("#token-check")

    @property
    def token_claims(self) -> Locator:
        return self.page.locator("#token-claims")

    @property
    def token_expiry(self) -> Locator:
        return self.page.locator("#token-expiry")

    # --- connection ---

    def connect(self) -> None:
        self.page.click("#connect")
        expect(self.state).to_have_text("connected")

    @property
    def state(self) -> Locator:
        return self.page.locator("#connection-state")

    @property
    def refusal(self) -> Locator:
        return self.page.locator("#refusal")

    # --- channels ---

    def subscribe(self, channel: str) -> None:
        self.page.fill("#subscribe-channel", channel)
        self.page.click("#subscribe-form button")
        expect(self.channel_state(channel)).to_have_text("subscribed")

    def channel(self, name: str) -> Locator:
        return self.page.locator(f'.channel[data-channel="{name}"]')

    def channel_state(self, name: str) -> Locator:
        return self.channel(name).locator(".channel-state")

    def unsubscribe(self, name: str) -> None:
        self.channel(name).locator("button.unsubscribe").click()
        expect(self.channel_state(name)).to_have_text("none")

    def members(self, channel: str) -> Locator:
        return self.channel(channel).locator(".members li")

    def member(self, channel: str, uid: str) -> Locator:
        return self.channel(channel).locator(f'.members li[data-uid="{uid}"]')

    # --- messages ---

    def publish(self, channel: str, event: str, data: str, over: str = "http") -> None:
        self.page.fill("#publish-channel", channel)
        self.page.fill("#publish-event", event)
        self.page.fill("#publish-data", data)
        self.page.click(f"#publish-{over}")

    @property
    def publish_result(self) -> Locator:
        return self.page.locator("#publish-result")

    def frames(self, direction: str, event: str = "") -> Locator:
        selector = f'#frames > li[data-direction="{direction}"]'
        return self.page.locator(selector + (f'[data-event="{event}"]' if event else ""))

    # --- storage ---

    def show_storage(self, channel: str) -> None:
        self.page.fill("#storage-channel", channel)
        self.page.dispatch_event("#storage-channel", "change")

    def set_storage(self, key: str, data: str) -> None:
        self.page.fill("#storage-key", key)
        self.page.fill("#storage-data", data)
        self.page.click("#storage-set")

    def storage_row(self, key: str) -> Locator:
        return self.page.locator(f'#storage-entries tr[data-key="{key}"]')
