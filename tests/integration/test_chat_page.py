"""The sandbox's chat page in a real browser: a citizen taps 东莞天气's menu and gets a reply.

Playwright for Python drives Debian's chromium (no bundled browser is downloaded). The page talks
to the sandbox, the sandbox posts the click to the gateway as WeChat would, and the gateway
answers through the weather service. A screenshot is left in var/artifacts/chat-page.png.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from servicekit.testing import require
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
]
SCREENSHOT = ROOT / "var" / "artifacts" / "chat-page.png"
# The gateway publishes every account's menu from the registry once it is up.
MENU_WAIT_SECONDS = 30
REPLY_WAIT_MS = 30_000


def wait_for_weather_menu(sandbox: str) -> None:
    """Wait until the gateway has published 东莞天气's menu from the registry to the sandbox."""
    deadline = time.monotonic() + MENU_WAIT_SECONDS
    while time.monotonic() < deadline:
        if httpx.get(f"{sandbox}/sandbox/accounts/dgtq/menu", timeout=10).json()["published"]:
            return
        time.sleep(0.2)
    pytest.fail(f"the gateway did not publish 东莞天气's menu within {MENU_WAIT_SECONDS} s")


def test_a_citizen_taps_the_weather_menu_and_sees_the_reply(suite) -> None:
    if not CHROMIUM.exists():
        require(f"Debian's chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    wait_for_weather_menu(suite.sandbox)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 480, "height": 900}, locale="zh-CN")
            page.goto(f"{suite.sandbox}/chat")
            page.select_option("#citizen-select", "chenxiaomei")
            page.select_option("#account-select", "dgtq")
            sync_api.expect(page.locator("#chat-title")).to_have_text("东莞天气")

            body, chat_panel = page.locator("body"), page.locator("#chat-panel")
            sync_api.expect(body).to_have_attribute("data-following", re.compile("yes|no"))
            replies = page.locator('#messages [data-direction="to_citizen"]')
            if body.get_attribute("data-following") == "no":
                page.locator("#follow-button").click()
                # The account's welcome comes first: counted before the menu's reply is awaited.
                sync_api.expect(replies.first).to_be_visible(timeout=REPLY_WAIT_MS)
            sync_api.expect(chat_panel).to_be_visible(timeout=REPLY_WAIT_MS)
            sync_api.expect(page.locator("#hint .hint-chip").first).to_have_text("天气")

            menu = page.locator("#menu-bar .menu-button")
            sync_api.expect(menu.first).to_be_visible(timeout=10_000)
            before = replies.count()
            page.locator('#menu-bar .menu-button[data-menu-name="天气预报"]').click()
            item = page.locator('#submenu [role="menuitem"][data-menu-key="WEATHER_TODAY"]')
            sync_api.expect(item).to_be_visible()
            item.click()

            sync_api.expect(page.locator('#messages [data-kind="click"]').last).to_contain_text(
                "今日天气", timeout=REPLY_WAIT_MS
            )
            sync_api.expect(replies).to_have_count(before + 1, timeout=REPLY_WAIT_MS)
            answer = replies.last
            assert answer.get_attribute("data-kind") == "reply", answer.inner_text()
            assert answer.inner_text().strip()
            sync_api.expect(page.locator("#typing")).to_be_hidden(timeout=REPLY_WAIT_MS)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    print(f"screenshot: {SCREENSHOT}")
