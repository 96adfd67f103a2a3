"""`clients/js/test.html` as a test sees it: one user's page running one `OpensockClient`.

The page renders what the client knows; these helpers name the parts of it (locators wait on
their own with `expect`), and call the client through `page.evaluate`.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Locator, Page, expect

TEST_PAGE = "/clients/js/test.html"


class ClientPage:
    def __init__(self, page: Page, user: str) -> None:
        self.page = page
        self.user = user

    def start(self, base_url: str, **config: Any) -> ClientPage:
        """Open the test page and start a client with `config` (`url`, `token`, options)."""
        self.page.goto(base_url + TEST_PAGE)
        expect(self.page.locator("body")).to_have_attribute("data-ready", "true")
        self.page.evaluate("config => window.startClient(config)", config)
        return self

    # --- what the page shows ---

    @property
    def state(self) -> Locator:
        return self.page.locator("#state")

    @property
    def disconnects(self) -> Locator:
        return self.page.locator("#disconnects")

    def channel(self, name: str) -> Locator:
        return self.page.locator(f'section[data-channel="{name}"]')

    def channel_state(self, name: str) -> Locator:
        return self.channel(name).locator(".channel-state")

    def members(self, channel: str) -> Locator:
        return self.channel(channel).locator(".members li")

    def member(self, channel: str, uid: str) -> Locator:
        return self.channel(channel).locator(f'.members li[data-uid="{uid}"]')

    def storage_value(self, channel: str, key: str) -> Locator:
        return self.channel(channel).locator(f'.storage dd[data-key="{key}"]')

    def messages(self, channel: str, event: str) -> Locator:
        return self.channel(channel).locator(f'.messages li[data-event="{event}"]')

    # --- the client, through page.evaluate ---

    def call(self, expression: str, *args: Any) -> Any:
        """Evaluate `(client, ...args) => expression` in the page (awaits a promise)."""
        names = ", ".join(f"a{i}" for i in range(len(args)))
        script = f"([{names}]) => (async (client) => {expression})(window.client)"
        return self.page.evaluate(script, list(args))

    def subscribe(self, channel: str) -> None:
        self.call("{ client.subscribe(a0); }", channel)
        expect(self.channel_state(channel)).to_have_text("subscribed")

    def connection_id(self) -> str:
        return str(self.call("client.connectionId"))

    def wait_until(self, expression: str, *args: Any) -> None:
        """Until `(client, ...args) => expression` is truthy in the page (polls there)."""
        names = ", ".join(f"a{i}" for i in range(len(args)))
        script = f"([{names}]) => ((client) => {expression})(window.client)"
        self.page.wait_for_function(script, arg=list(args))


def shown(value: Any) -> str:
    """How the page renders a JSON value."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
