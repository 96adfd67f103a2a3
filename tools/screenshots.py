"""`make screenshots`: the console and the chat demo in headless Chromium, as PNGs in docs/images/.

Starts the local stack on a free port (state kept nowhere), drives each page to a state worth
showing with two browser contexts, as the browser tests do, and saves:

- `docs/images/console.png`: the console connected, a presence channel with two members, a
  storage entry ticking down, a publish over HTTP;
- `docs/images/console-local.png`: its frames log and the make dev-only panels (pub/sub
  events, a pending schedule, the table's items);
- `docs/images/chat.png`: the chat demo with two people (one away), room settings, messages
  with reactions and an open poll.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.chat_page import ChatPage
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.console_page import ConsolePage
from tools.local.server import StackOptions
from tools.local.threaded import running_in_thread

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
VIEWPORT = {"width": 1440, "height": 1000}


def _page(browser: Browser) -> Page:
    page = browser.new_context(viewport=VIEWPORT, device_scale_factor=1).new_page()
    page.set_default_timeout(15_000)
    return page


def shoot(page: Page, name: str, scroll_to: str | None = None) -> None:
    page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)")
    if scroll_to:
        page.locator(scroll_to).evaluate("node => node.scrollIntoView()")
    page.screenshot(path=str(IMAGES / name))


def console(browser: Browser, base_url: str) -> None:
    room = "presence.lobby"
    pam = ConsolePage(_page(browser)).open(base_url)
    pam.mint("presence viewer", "pam")
    pam.connect()
    pam.subscribe(room)
    jim = ConsolePage(_page(browser)).open(base_url)
    claims = {
        "uid": "jim",
        "umd": {"name": "Jim"},
        "keepAlive": True,
        "channels": {
            "*": {
                "subscribe": True,
                "messages": {
                    "*": {
                        "publish": True,
                        "echo": True,
                        "store": 3600,
                        "scheduleBefore": int(time.time()) + 3600,
                    }
                },
                "storage": {"*": {"observe": True, "get": True, "set": True, "store": 600}},
                "historyStart": 0,
            }
        },
    }
    jim.mint("chat user", "jim", claims=claims)
    jim.connect()
    jim.subscribe(room)
    expect(jim.members(room)).to_have_count(2)
    jim.show_storage(room)
    jim.set_storage("topic", json.dumps({"text": "Friday lunch"}))
    expect(jim.storage_row("topic").locator(".ttl")).to_contain_text("m")
    jim.publish(room, "chat", json.dumps({"text": "hello from the console"}), over="http")
    expect(jim.publish_result).to_contain_text("202")
    later = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 900))
    jim.page.fill("#publish-schedule", f"at({later})")
    jim.publish(room, "reminder", json.dumps({"text": "lunch in 15 min"}), over="ws")
    jim.page.fill("#publish-schedule", "")
    jim.page.fill("#table-channel", room)
    jim.page.click("#table-load")
    expect(jim.page.locator("#table-items tr")).not_to_have_count(0)
    expect(jim.page.locator("#pubsub-events li").first).to_be_visible()
    expect(jim.page.locator("#schedules tr")).to_have_count(1)
    shoot(jim.page, "console.png")
    shoot(jim.page, "console-local.png", scroll_to="#frames-panel")


def chat(browser: Browser, base_url: str) -> None:
    room = "lobby"
    jim = ChatPage(_page(browser)).join(base_url, "Jim", room)
    jim.save_settings("Friday lunch", "indigo")
    pam = ChatPage(_page(browser)).join(base_url, "Pam", room)
    jim.send("Pizza or sushi at noon?")
    expect(pam.message("Pizza or sushi at noon?")).to_be_visible()
    pam.send("Sushi! 🍣")
    pam.reaction("Pizza or sushi at noon?", "❤️").click()
    jim.reaction("Sushi! 🍣", "🎉").click()
    jim.start_poll("Lunch?", "pizza, sushi", 600)
    expect(pam.poll).to_have_attribute("data-state", "open")
    pam.vote("sushi")
    jim.vote("sushi")
    pam.set_status("away")
    expect(jim.status_of("pam")).to_have_text("away")
    expect(jim.reaction("Pizza or sushi at noon?", "❤️")).to_have_text("❤️ 1")
    shoot(jim.page, "chat.png")


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with running_in_thread(StackOptions(port=0)) as stack, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            console(browser, stack.http_url)
            chat(browser, stack.http_url)
        finally:
            browser.close()
    print(f"screenshots in {IMAGES}", file=sys.stderr)


if __name__ == "__main__":
    main()
