"""Browser tests: Debian's Chromium, driven by Playwright, against pages of `clients/js/`.

Fixtures:
- `browser` (module scope): Chromium at `$OPENSOCK_CHROMIUM` (default `/usr/bin/chromium`),
  launched through `executable_path` with the flags this workplace needs (Playwright gives each
  launch a fresh, temporary user-data-dir). Missing Chromium skips the tests with the command
  that installs it, and fails them when `CI` or `OPENSOCK_REQUIRE_BROWSER` is set.
- `stack` (module scope): the real local stack from `template.yaml` (tests/local harness).
- `new_page(user)`: a page in a new browser context, one context per simulated user. Every
  uncaught page error and console error of every page is recorded and fails the test.

Module scope keeps Playwright's event loop out of the other test files an xdist worker runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.local.conftest import start
from tests.local.harness import StackHandle
from tools.local.template import DEFAULT_TEMPLATE

CHROMIUM = os.environ.get("OPENSOCK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
INSTALL_HINT = "as root: apt-get update && apt-get install -y chromium"

expect.set_options(timeout=TIMEOUT_MS)


def chromium_executable() -> str:
    """The Chromium to drive; skips (or, in CI, fails) when there is none."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI") or os.environ.get("OPENSOCK_REQUIRE_BROWSER"):
        message = f"no Chromium at {CHROMIUM}, and CI must run the browser tests ({INSTALL_HINT})"
        pytest.fail(message, pytrace=False)
    pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} ({INSTALL_HINT})")


class PageErrors:
    """Uncaught page errors and console errors, of every page a test opened.

    A test that makes the browser itself log an error on purpose (Chromium logs every refused
    WebSocket handshake) names it with `expect_console_error(pattern)`; the matching messages
    are kept in `expected` instead of failing the test."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.reported = 0
        self.patterns: list[re.Pattern[str]] = []
        self.expected: list[str] = []

    def expect_console_error(self, pattern: str) -> None:
        self.patterns.append(re.compile(pattern))

    def watch(self, page: Page, user: str) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{user}: uncaught {error}"))
        page.on("console", lambda message: self._console(user, message))

    def _console(self, user: str, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if any(pattern.search(message.text) for pattern in self.patterns):
            self.expected.append(message.text)
        else:
            self.errors.append(f"{user}: console error: {message.text} ({message.location})")

    def unreported(self) -> list[str]:
        new = self.errors[self.reported :]
        self.reported = len(self.errors)
        return new


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself (not its teardown) when one of its pages reported an error."""
    result = yield
    errors = getattr(item, "funcargs", {}).get("page_errors")
    if isinstance(errors, PageErrors) and (new := errors.unreported()):
        pytest.fail("errors in the browser:\n" + "\n".join(new), pytrace=False)
    return result


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    """First of all: no Chromium, no stack started for nothing."""
    return chromium_executable()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[StackHandle]:
    yield from start(DEFAULT_TEMPLATE)


@pytest.fixture
def page_errors() -> Iterator[PageErrors]:
    errors = PageErrors()
    yield errors
    if late := errors.unreported():
        pytest.fail("errors in the browser during teardown:\n" + "\n".join(late), pytrace=False)


NewPage = Callable[[str], Page]


@pytest.fixture
def new_page(browser: Browser, page_errors: PageErrors) -> Iterator[NewPage]:
    contexts = []

    def open_page(user: str) -> Page:
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page_errors.watch(page, user)
        return page

    yield open_page
    for context in contexts:
        context.close()
