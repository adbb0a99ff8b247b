"""Paying a traffic fine end to end: a citizen signed in through WeChat OAuth decides a violation,
pays it at the sandbox's WeChat Pay, and the decision is paid the moment the notification lands.

Everything goes through the gateway (the app's API and the provider's notification) and the
sandbox (the OAuth page, the payer's page): no shortcut into a service.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urljoin

import httpx
import pytest

from tests.integration.signin import sign_in

pytestmark = pytest.mark.integration

PAID_WITHIN_SECONDS = 10


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A browser without redirects followed, so each step can be looked at."""
    with httpx.Client(timeout=20) as client:
        yield client


def pay_order(browser: httpx.Client, suite, me: dict[str, str], number: str, key: str) -> dict:
    """Create zhangsan's payment order for decision `number`: the payer is who signed in."""
    created = browser.post(
        f"{suite.gateway}/api/v1/traffic/decisions/{number}/payments",
        headers={**me, "Idempotency-Key": key},
    )
    assert created.status_code == 201, created.text
    return created.json()


def test_a_citizen_pays_a_fine_and_sees_it_paid_with_a_receipt(suite, browser) -> None:
    api = f"{suite.gateway}/api/v1/traffic"
    me = sign_in(browser, suite.gateway, "张三")

    violations = browser.get(f"{api}/me/violations", params={"limit": 100}, headers=me).json()
    unhandled = [v for v in violations["items"] if v["status"] == "unhandled" and v["points"] <= 3]
    assert unhandled, violations
    decided = browser.post(f"{api}/me/violations/{unhandled[0]['id']}/decision", headers=me)
    assert decided.status_code == 201, decided.text
    number = decided.json()["number"]
    due = browser.get(f"{api}/decisions/{number}").json()
    assert due["status"] != "paid"

    order = pay_order(browser, suite, me, number, f"pay-{number}")
    assert order["jsapi"]["package"].startswith("prepay_id=")
    assert order["amount_fen"] == due["amount_due_fen"]

    page_url = order["pay_page_url"]
    assert page_url.startswith(suite.sandbox)
    page = browser.get(page_url).text
    assert "确认支付" in page and "东莞" in page
    # The sandbox names the payer by the openid WeChat gave at his sign-in with 东莞交警.
    assert "张三" in page
    confirm = re.search(r"<form method='post' action='([^']+/confirm[^']*)'>", page)
    assert confirm, page
    browser.post(urljoin(page_url, html.unescape(confirm.group(1))))

    # Polled as the citizen's own payment: public decision lookups are strictly rate-limited.
    deadline = time.monotonic() + PAID_WITHIN_SECONDS
    payment = browser.get(f"{api}/payments/{order['id']}", headers=me).json()
    while payment["state"]["status"] != "success":
        assert time.monotonic() < deadline, "the payment did not succeed after the confirmation"
        time.sleep(0.2)
        payment = browser.get(f"{api}/payments/{order['id']}", headers=me).json()
    assert browser.get(f"{api}/decisions/{number}").json()["status"] == "paid"
    receipt = browser.get(f"{api}/payments/{order['id']}/receipt", headers=me)
    assert receipt.status_code == 200, receipt.text
    pdf = browser.get(f"{api}/payments/{order['id']}/receipt.pdf", headers=me)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Nobody else's token reaches it.
    assert browser.get(f"{api}/payments/{order['id']}/receipt").status_code == 401


def test_a_payment_whose_notification_never_came_is_repaired_by_reconcile(suite, browser) -> None:
    api = f"{suite.gateway}/api/v1/traffic"
    me = sign_in(browser, suite.gateway, "张三")
    violations = browser.get(f"{api}/me/violations", params={"limit": 100}, headers=me).json()
    number = next(
        v["decision_number"] for v in violations["items"] if v["status"] == "decided_unpaid"
    )
    knobs = f"{suite.sandbox}/sandbox/pay/knobs"
    assert browser.put(knobs, json={"drop": True}).status_code == 200
    try:
        order = pay_order(browser, suite, me, number, f"dropped-{number}")
        prepay_id = order["jsapi"]["package"].removeprefix("prepay_id=")
        confirmed = browser.post(f"{suite.sandbox}/sandbox/pay/{prepay_id}/confirm")
        assert confirmed.status_code == 200, confirmed.text
    finally:
        browser.put(knobs, json={"drop": False})
    time.sleep(1)
    assert browser.get(f"{api}/decisions/{number}").json()["status"] == "decided_unpaid"

    env = {**suite.env, "TRAFFIC_RECONCILE_AFTER_SECONDS": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "traffic", "reconcile"],
        env=env,
        cwd=suite.workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert browser.get(f"{api}/decisions/{number}").json()["status"] == "paid"
    payment = browser.get(f"{api}/payments/{order['id']}", headers=me).json()
    assert payment["state"]["status"] == "success"
