"""The sandbox's chat page in a real browser: a citizen taps 东莞天气's menu and gets a reply.

Playwright for Python drives Debian's chromium (no bundled browser is downloaded). The page talks
to the sandbox, the sandbox posts the click to the gateway as WeChat would, and the gateway
answers through the weather service. A screenshot is left in var/artifacts/chat-page.png.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from servicekit.testing import require
from servicekit.wechat_dev import DEV_WECHAT_ACCOUNTS
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
CHAT_CONFIG = ROOT / "services/accounts/src/accounts/data/chat_config.json"
# The gateway publishes every account's menu from the registry once it is up.
MENU_WAIT_SECONDS = 30
REPLY_WAIT_MS = 30_000


def _published_menu(sandbox: str) -> dict[str, Any]:
    return httpx.get(f"{sandbox}/sandbox/accounts/dgtq/menu", timeout=10).json()


def ensure_weather_menu(sandbox: str) -> bool:
    """Wait for 东莞天气's menu; publish the registry's own if it never comes (True if seeded)."""
    deadline = time.monotonic() + MENU_WAIT_SECONDS
    while time.monotonic() < deadline:
        if _published_menu(sandbox)["published"]:
            return False
        time.sleep(1)
    account = next(a for a in DEV_WECHAT_ACCOUNTS if a["code"] == "dgtq")
    params = {
        "grant_type": "client_credential",
        "appid": account["appid"],
        "secret": account["app_secret"],
    }
    access = httpx.get(f"{sandbox}/cgi-bin/token", params=params, timeout=10).json()
    config = next(
        c for c in json.loads(CHAT_CONFIG.read_text("utf-8")) if c["account_code"] == "dgtq"
    )
    created = httpx.post(
        f"{sandbox}/cgi-bin/menu/create",
        params={"access_token": access["access_token"]},
        json=config["menu"],
        timeout=10,
    ).json()
    assert created["errcode"] == 0, created
    return True


def test_a_citizen_taps_the_weather_menu_and_sees_the_reply(suite) -> None:
    if not CHROMIUM.exists():
        require(f"Debian's chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    seeded = ensure_weather_menu(suite.sandbox)
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
            if body.get_attribute("data-following") == "no":
                page.locator("#follow-button").click()
            sync_api.expect(chat_panel).to_be_visible(timeout=REPLY_WAIT_MS)
            sync_api.expect(page.locator("#hint .hint-chip").first).to_have_text("天气")

            menu = page.locator("#menu-bar .menu-button")
            sync_api.expect(menu.first).to_be_visible(timeout=10_000)
            replies = page.locator('#messages [data-direction="to_citizen"]')
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
    if seeded:
        print("the test published 东莞天气's menu itself: the gateway had not published it")
    print(f"screenshot: {SCREENSHOT}")
