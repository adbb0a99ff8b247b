"""Paying a fine from the chat on the gateway's mobile H5 page, in a real browser.

Playwright for Python drives Debian's chromium (no bundled browser is downloaded). 张三 asks
东莞交警 交罚款 on the sandbox's chat page and follows the link of the answer to the page, which
signs him in through the sandbox's WeChat authorisation page (snsapi_base), lists his unpaid
decisions as traffic answers them, creates the order with an Idempotency-Key and, with no WeChat
client in the browser, goes to the sandbox's payer page. Back on the page it shows the outcome
only once the order, polled through the gateway, says so: closing the cashier leaves it
unfinished, and trying again gets the same order back (one Idempotency-Key per attempt). Paid,
缴款成功 arrives in his chat as a template message. Screenshots of the list and of the outcome
are left in var/artifacts/h5-fines-*.png.

张三 first settles his violation 1345 online (so it is decided today, without surcharge): the
other payment scenarios pay his other violations and 陈晓梅's fine.
"""

from __future__ import annotations

import re

import httpx
import pytest

from servicekit.testing import require
from tests.integration.conftest import ROOT
from tests.integration.signin import sign_in
from tests.integration.test_chat_page import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "var" / "artifacts"
ACCOUNT = "dgjj"
CITIZEN, NAME, CODE = "zhangsan", "张三", "1345"
# How long the page may take to show an outcome: WeChat Pay's notification reaches traffic
# through the gateway; the page polls every 1.5 s and, after 10 rounds, calls it unfinished.
OUTCOME_WAIT_MS = 30_000
# Chat replies, and traffic's notices (sent every 5 s, TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS).
CHAT_WAIT_MS = 30_000


def decided_today(gateway: str) -> str:
    """张三 settles his violation 1345 online (as the app would); its decision number."""
    api = f"{gateway}/api/v1/traffic"
    with httpx.Client(timeout=20) as browser:
        me = sign_in(browser, gateway, NAME)
        mine = browser.get(f"{api}/me/violations", params={"limit": 100}, headers=me).json()
        [violation] = [v for v in mine["items"] if (v["code"], v["status"]) == (CODE, "unhandled")]
        decided = browser.post(f"{api}/me/violations/{violation['id']}/decision", headers=me)
    assert decided.status_code == 201, decided.text
    return str(decided.json()["number"])


def starting(prefix: str) -> re.Pattern[str]:
    """URLs beginning with `prefix`."""
    return re.compile("^" + re.escape(prefix))


def yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"


def ask_for_fines(page, expect, sandbox: str, number: str) -> str:
    """Say 交罚款 to 东莞交警 on the chat page; the payment page's link in the answer."""
    httpx.put(f"{sandbox}/sandbox/citizens/{CITIZEN}/follows/{ACCOUNT}").raise_for_status()
    open_chat(page, expect, sandbox)
    page.locator("#message-input").fill("交罚款")
    page.locator("#send-button").click()
    reply = page.locator('#messages [data-direction="to_citizen"]').filter(has_text=number)
    expect(reply).to_have_count(1, timeout=CHAT_WAIT_MS)
    link = re.search(r"https?://\S+/h5/fines\?account=\w+", reply.inner_text())
    assert link, reply.inner_text()
    return link.group(0)


def open_chat(page, expect, sandbox: str) -> None:
    """张三's conversation with 东莞交警 on the sandbox's chat page."""
    page.goto(f"{sandbox}/chat")
    page.select_option("#citizen-select", CITIZEN)
    page.select_option("#account-select", ACCOUNT)
    expect(page.locator("#chat-title")).to_have_text("东莞交警")
    expect(page.locator("#chat-panel")).to_be_visible(timeout=CHAT_WAIT_MS)


def test_a_citizen_pays_from_the_chat_and_is_told_in_the_chat(suite) -> None:
    if not CHROMIUM.exists():
        require(f"Debian's chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    number = decided_today(suite.gateway)
    due = httpx.get(f"{suite.gateway}/api/v1/traffic/decisions/{number}").json()["amount_due_fen"]
    page_url = f"{suite.gateway}/h5/fines?account={ACCOUNT}"
    order_page = re.compile(re.escape(f"{page_url}&order=") + r"\d+$")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            link = ask_for_fines(page, expect, suite.sandbox, number)
            assert link == page_url
            page.goto(link)

            # No token yet: the page goes to the platform's authorisation page (the sandbox's).
            page.wait_for_url(starting(f"{suite.sandbox}/connect/oauth2/authorize?"))
            assert "scope=snsapi_base" in page.url
            page.get_by_role("button", name=f"以「{NAME}」的身份登录").click()

            # Back on the page, signed in; the token has left the address bar.
            page.wait_for_url(starting(page_url))
            item = page.locator(f'#decision-list li[data-decision="{number}"]')
            expect(item).to_be_visible()
            assert "access_token" not in page.url
            expect(item.locator(".plate")).to_have_text("粤S12345")
            expect(item.locator(".amount")).to_have_text(yuan(due))
            page.screenshot(path=str(ARTIFACTS / "h5-fines-list.png"), full_page=True)

            # No WeChat client here: the page sends the browser to the sandbox's cashier, which
            # checks the JSAPI signature and names the payer by the openid of his sign-in.
            item.get_by_role("button", name=f"缴纳 {yuan(due)}").click()
            page.wait_for_url(starting(f"{suite.sandbox}/pay/"))
            cashier = page.url.split("?")[0]
            expect(page.locator("body")).to_contain_text(NAME)
            expect(page.locator("body")).to_contain_text(f"{due / 100:.2f}")
            # He closes the cashier without paying: back on the page, nothing says paid.
            page.get_by_role("button", name="取消").click()
            expect(page.locator(".status.warn")).to_contain_text("已取消支付")
            page.get_by_role("link", name="返回商户").click()
            page.wait_for_url(order_page)
            first_order = page.url
            pending = page.locator('#outcome[data-outcome="pending"]')
            expect(pending).to_be_visible(timeout=OUTCOME_WAIT_MS)
            expect(pending.locator("h2")).to_have_text("缴款未完成")

            # He tries again: the same attempt's key gives the same order back, not a second.
            page.get_by_role("button", name="返回待缴款列表").click()
            item.get_by_role("button", name=f"缴纳 {yuan(due)}").click()
            page.wait_for_url(starting(f"{suite.sandbox}/pay/"))
            assert page.url.split("?")[0] == cashier
            page.get_by_role("button", name="确认支付").click()
            expect(page.locator(".status.ok")).to_contain_text("支付成功")
            page.get_by_role("link", name="返回商户").click()

            # The page polls the order until traffic, told by WeChat Pay, says it is paid.
            page.wait_for_url(order_page)
            assert page.url == first_order
            outcome = page.locator('#outcome[data-outcome="success"]')
            expect(outcome).to_be_visible(timeout=OUTCOME_WAIT_MS)
            expect(outcome.locator("h2")).to_have_text("缴款成功")
            expect(outcome).to_contain_text(number)
            expect(outcome).to_contain_text(yuan(due))
            page.screenshot(path=str(ARTIFACTS / "h5-fines-paid.png"), full_page=True)

            # Paid, the decision leaves the list...
            page.get_by_role("button", name="返回待缴款列表").click()
            expect(item).to_have_count(0)

            # ...and 缴款成功 arrives in his chat with 东莞交警 as a template message.
            open_chat(page, expect, suite.sandbox)
            card = page.locator('#messages [data-kind="template"] .template').filter(
                has_text=number
            )
            expect(card).to_have_count(1, timeout=CHAT_WAIT_MS)
            expect(card.locator(".template-title")).to_have_text("缴款成功")
        finally:
            browser.close()
    print(f"screenshots: {ARTIFACTS}/h5-fines-*.png")
