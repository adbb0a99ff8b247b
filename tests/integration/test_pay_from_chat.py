"""Paying a fine from the chat: 交罚款 to 东莞交警 lists the citizen's unpaid decisions with
the link to the payment page; once a decision is paid, 缴款成功 arrives in the same chat as a
template message.

Everything goes through the sandbox (the chat, the OAuth page, the payer's WeChat Pay) and the
gateway; traffic sends the notice through the gateway's internal listener, and the sandbox shows
it in the conversation the chat page reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pytest

from servicekit.testing import require
from tests.integration.signin import sign_in
from tests.integration.test_chat_page import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.integration

ACCOUNT = "dgjj"
# 陈晓梅 is bound and the seed leaves her one decided, unpaid fine; no other scenario pays it.
CITIZEN, NAME, PLATE_SHOWN = "chenxiaomei", "陈晓梅", "粤S****99"
# Traffic sends due notices every few seconds (TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS, 5).
NOTICE_WITHIN_SECONDS = 30
PAID_WITHIN_SECONDS = 10


def conversation(browser: httpx.Client, sandbox: str, after: int = 0) -> list[dict]:
    """The chat page's conversation of the citizen with 东莞交警, lines newer than `after`."""
    answer = browser.get(
        f"{sandbox}/sandbox/citizens/{CITIZEN}/conversations/{ACCOUNT}",
        params={"after": after, "limit": 100},
    )
    answer.raise_for_status()
    return list(answer.json()["items"])


def yuan(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return f"{whole}元" if cents == 0 else f"{whole}.{cents:02d}元"


@dataclass(frozen=True)
class Journey:
    """What happened: her unpaid decisions, the chat's answer, the order paid, the notice."""

    unpaid: list[dict]
    reply: str
    order: dict
    notice: dict
    again: str


def send(browser: httpx.Client, sandbox: str, text: str) -> dict:
    """Say `text` to 东莞交警 on the chat page; the account's passive reply."""
    sent = browser.post(
        f"{sandbox}/sandbox/citizens/{CITIZEN}/conversations/{ACCOUNT}/messages",
        json={"kind": "text", "content": text},
    )
    assert sent.status_code == 201, sent.text
    [reply] = [line for line in sent.json()["items"] if line["direction"] == "to_citizen"]
    assert reply["kind"] == "reply", reply
    return dict(reply)


@pytest.fixture(scope="module")
def journey(suite) -> Journey:
    """陈晓梅 asks 交罚款, pays the first decision listed, and waits for 缴款成功 in the chat."""
    api = f"{suite.gateway}/api/v1/traffic"
    with httpx.Client(timeout=20) as browser:
        me = sign_in(browser, suite.gateway, NAME)
        mine = browser.get(f"{api}/me/violations", params={"limit": 100}, headers=me).json()
        unpaid = [v for v in mine["items"] if v["status"] == "decided_unpaid"]
        assert unpaid, mine
        follow = f"{suite.sandbox}/sandbox/citizens/{CITIZEN}/follows/{ACCOUNT}"
        browser.put(follow).raise_for_status()
        reply = send(browser, suite.sandbox, "交罚款")

        # She pays the first one as the page would: the order, then 确认支付 at WeChat Pay.
        number = unpaid[0]["decision_number"]
        created = browser.post(
            f"{api}/decisions/{number}/payments",
            headers={**me, "Idempotency-Key": f"chat-{number}"},
        )
        assert created.status_code == 201, created.text
        order = created.json()
        prepay_id = order["jsapi"]["package"].removeprefix("prepay_id=")
        confirmed = browser.post(f"{suite.sandbox}/sandbox/pay/{prepay_id}/confirm")
        assert confirmed.status_code == 200, confirmed.text
        deadline = time.monotonic() + PAID_WITHIN_SECONDS
        payment = f"{api}/payments/{order['id']}"
        while browser.get(payment, headers=me).json()["state"]["status"] != "success":
            assert time.monotonic() < deadline, "the payment did not succeed"
            time.sleep(0.2)

        deadline = time.monotonic() + NOTICE_WITHIN_SECONDS
        notices: list[dict] = []
        while not notices:
            assert time.monotonic() < deadline, "no template message arrived in the chat"
            time.sleep(0.5)
            lines = conversation(browser, suite.sandbox, reply["id"])
            notices = [line for line in lines if line["kind"] == "template"]
        again = send(browser, suite.sandbox, "交罚款")
    [notice] = notices
    return Journey(unpaid, reply["content"]["content"], order, notice, again["summary"])


def test_the_chat_lists_the_unpaid_decisions_with_the_payment_page(suite, journey) -> None:
    text = journey.reply
    assert text.startswith(f"您有{len(journey.unpaid)}笔待缴罚款"), text
    for v in journey.unpaid:
        assert f"决定书编号{v['decision_number']}" in text
        assert f"应缴{yuan(v['amount_due_fen'])}" in text
    assert PLATE_SHOWN in text and journey.unpaid[0]["plate"] not in text
    assert text.endswith(f"{suite.gateway}/h5/fines?account={ACCOUNT}"), text
    # Asked again once paid, the decision is gone from the answer.
    assert journey.unpaid[0]["decision_number"] not in journey.again


def test_the_payment_is_confirmed_in_the_chat_by_a_template_message(suite, journey) -> None:
    number, notice = journey.unpaid[0]["decision_number"], journey.notice
    data = {key: field["value"] for key, field in notice["content"]["data"].items()}
    assert data["first"] == "缴款成功"
    assert (data["amount"], data["decision"]) == (yuan(journey.order["amount_fen"]), number)
    assert notice["summary"].startswith("[模板消息] 缴款成功")
    # The platform addressed it to her openid with 东莞交警, once.
    with httpx.Client(base_url=suite.sandbox, timeout=20) as sandbox:
        citizens = sandbox.get("/sandbox/citizens", params={"limit": 100}).json()["items"]
        inbox = sandbox.get(f"/sandbox/citizens/{CITIZEN}/inbox", params={"account": ACCOUNT})
    openid = next(c["openids"][ACCOUNT] for c in citizens if c["id"] == CITIZEN)
    [delivered] = [m for m in inbox.json()["items"] if m["kind"] == "template"]
    assert delivered["openid"] == openid
    assert delivered["content"]["data"]["decision"]["value"] == number


def test_the_chat_page_shows_the_paid_card(suite, journey) -> None:
    if not CHROMIUM.exists():
        require(f"Debian's chromium is not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 480, "height": 900}, locale="zh-CN")
            page.goto(f"{suite.sandbox}/chat")
            page.select_option("#citizen-select", CITIZEN)
            page.select_option("#account-select", ACCOUNT)
            card = page.locator('#messages [data-kind="template"] .template').last
            sync_api.expect(card.locator(".template-title")).to_have_text("缴款成功")
            sync_api.expect(card).to_contain_text(yuan(journey.order["amount_fen"]))
            sync_api.expect(card).to_contain_text(journey.unpaid[0]["decision_number"])
        finally:
            browser.close()
