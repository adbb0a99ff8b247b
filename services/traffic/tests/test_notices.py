"""缴款成功 notices: written with the payment, sent to the gateway until it answers 2xx."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from servicekit.clock import SHANGHAI
from servicekit.deliveries import TemplateChannel
from servicekit.identity import WechatUser, issue_token, verify_token
from servicekit.state import engine_of
from servicekit.testing import TEST_SECRET, metric_value, serve_in_thread
from traffic.models import PaymentNotice
from traffic.notices import NoticePass, NoticeSender, template_data
from traffic.payments.client import pay_client_of
from traffic.payments.reconciliation import reconcile_once
from wechat.demo_citizens import demo_citizen
from wechat.pay_dev import DevKeySet

# A decision of zhangsan's the seed leaves unpaid (test_payments.SEEDED_UNPAID), 290 yuan today.
UNPAID = "4419002600000031"


class FakeGateway:
    """The gateway's internal template endpoint: records each call, answers `status`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.status = 200
        self.app = Starlette(
            routes=[Route("/internal/wechat/{account}/template", self._send, methods=["POST"])]
        )
        self.url = ""

    async def _send(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.calls.append((request.path_params["account"], await request.json(), token))
        return JSONResponse({"msgid": len(self.calls)}, status_code=self.status)


@pytest.fixture(scope="module")
def gateway_server() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    with serve_in_thread(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def gateway(gateway_server: FakeGateway) -> FakeGateway:
    gateway_server.calls.clear()
    gateway_server.status = 200
    return gateway_server


def signed_in(key: str, keys: DevKeySet) -> dict[str, str]:
    """A citizen signed in through 东莞交警's WeChat OAuth (the payer's openid is in the token)."""
    wechat = WechatUser(appid=keys.appid, openid=demo_citizen(key).openid(keys.appid))
    token = issue_token(
        secret=TEST_SECRET, audience="traffic", subject=demo_citizen(key).citizen_id, wechat=wechat
    )
    return {"Authorization": f"Bearer {token}"}


def pay(client: TestClient, keys: DevKeySet, fake_pay, *, notify: bool = True) -> dict[str, Any]:
    """Zhangsan orders the unpaid decision and pays it; the notification lands if `notify`."""
    openid = demo_citizen("zhangsan").openid(keys.appid)
    created = client.post(
        f"/v1/decisions/{UNPAID}/payments",
        json={"openid": openid},
        headers={**signed_in("zhangsan", keys), "Idempotency-Key": "notice"},
    )
    assert created.status_code == 201, created.text
    order = created.json()
    fake_pay.pay(order["out_trade_no"])
    if notify:
        body, headers = fake_pay.notification(order["out_trade_no"])
        answer = client.post("/v1/payments/notify/wechatpay", content=body, headers=headers)
        assert answer.status_code == 204, answer.text
    return order


def notices(client: TestClient) -> list[PaymentNotice]:
    with Session(engine_of(client.app)) as session:
        return list(session.exec(select(PaymentNotice)).all())


def sender(client: TestClient, gateway: FakeGateway) -> NoticeSender:
    channel = TemplateChannel(
        gateway_url=gateway.url,
        secret=TEST_SECRET,
        caller="traffic",
        account="dgjj",
        template_id="tmpl-paid",
        timeout=5,
        backoff_base=10,
        backoff_max=60,
    )
    return NoticeSender(engine=engine_of(client.app), channel=channel)


def test_the_template_says_paid_with_yuan_decision_and_beijing_time() -> None:
    paid_at = datetime(2026, 6, 15, 4, 5, tzinfo=UTC)
    data = template_data(amount_fen=29050, decision_number=UNPAID, paid_at=paid_at)
    assert data["first"] == "缴款成功"
    assert (data["amount"], data["decision"], data["time"]) == (
        "290.50元",
        UNPAID,
        "2026-06-15 12:05",
    )


@pytest.mark.slow
def test_a_paid_order_has_one_notice_to_the_payer(
    client: TestClient, pay_keys: DevKeySet, fake_pay
) -> None:
    order = pay(client, pay_keys, fake_pay)
    # The provider tells again: still one notice.
    body, headers = fake_pay.notification(order["out_trade_no"])
    client.post("/v1/payments/notify/wechatpay", content=body, headers=headers)
    [notice] = notices(client)
    assert (notice.payment_id, notice.account, notice.decision_number) == (
        order["id"],
        "dgjj",
        UNPAID,
    )
    assert notice.openid == demo_citizen("zhangsan").openid(pay_keys.appid)
    assert notice.amount_fen == order["amount_fen"] and notice.delivered_at is None


def test_an_order_reconciliation_finds_paid_gets_its_notice(
    client: TestClient, pay_keys: DevKeySet, fake_pay, clock
) -> None:
    order = pay(client, pay_keys, fake_pay, notify=False)
    assert notices(client) == []
    clock.advance(minutes=10)
    now = clock.now.astimezone(UTC)
    reconcile_once(engine_of(client.app), pay_client_of(client.app), now=now, bill_dates=[])
    assert [n.payment_id for n in notices(client)] == [order["id"]]


@pytest.mark.slow
def test_only_a_2xx_delivers_and_failures_wait_with_backoff(
    client: TestClient, pay_keys: DevKeySet, fake_pay, gateway: FakeGateway, clock
) -> None:
    order = pay(client, pay_keys, fake_pay)
    send = sender(client, gateway)
    now = clock.now.astimezone(UTC)
    gateway.status = 502
    assert send.deliver_due(now=now) == NoticePass(delivered=0, failed=1)
    [notice] = notices(client)
    assert notice.attempts == 1 and notice.delivered_at is None
    assert notice.last_error is not None and notice.last_error.startswith("HTTP 502")
    # Not due again before its backoff: nobody sends it meanwhile.
    assert send.deliver_due(now=now + timedelta(seconds=9)) == NoticePass()
    assert len(gateway.calls) == 1
    gateway.status = 404  # not the gateway's endpoint: no acknowledgement either
    assert send.deliver_due(now=now + timedelta(seconds=10)) == NoticePass(delivered=0, failed=1)
    assert notices(client)[0].attempts == 2
    gateway.status = 200
    assert send.deliver_due(now=now + timedelta(seconds=31)) == NoticePass(delivered=1)
    assert send.deliver_due(now=now + timedelta(hours=1)) == NoticePass()
    [notice] = notices(client)
    assert notice.attempts == 3 and notice.delivered_at is not None
    account, body, token = gateway.calls[-1]
    assert account == "dgjj"
    assert body["openid"] == demo_citizen("zhangsan").openid(pay_keys.appid)
    assert body["template_id"] == "tmpl-paid"
    paid_at = datetime.fromisoformat(client.get(f"/v1/decisions/{UNPAID}").json()["paid_on"])
    assert body["data"]["first"] == "缴款成功" and body["data"]["decision"] == UNPAID
    assert body["data"]["amount"] == f"{order['amount_fen'] // 100}元"
    assert body["data"]["time"].startswith(paid_at.date().isoformat())
    caller = verify_token(token, secret=TEST_SECRET, audience="gateway")
    assert (caller.kind, caller.issuer) == ("service", "traffic")


def test_a_claimed_notice_is_not_sent_by_another_pass(
    client: TestClient, pay_keys: DevKeySet, fake_pay, gateway: FakeGateway, clock
) -> None:
    pay(client, pay_keys, fake_pay)
    now = clock.now.astimezone(UTC)
    first, second = sender(client, gateway), sender(client, gateway)
    assert len(first._claim(now)) == 1
    assert second.deliver_due(now=now) == NoticePass() and gateway.calls == []


@pytest.mark.slow
def test_the_service_sends_notices_on_its_own(
    make_client: Callable[..., TestClient], pay_keys: DevKeySet, fake_pay, gateway: FakeGateway
) -> None:
    client = make_client(
        payment_notice_every_seconds=0.1,
        gateway_url=gateway.url,
        payment_template_id="tmpl-paid",
    )
    pay(client, pay_keys, fake_pay)
    deadline = time.monotonic() + 10
    while not gateway.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(account, body["data"]["first"]) for account, body, _ in gateway.calls] == [
        ("dgjj", "缴款成功")
    ]
    # The pass is counted once it has recorded the outcome, just after the call.
    name = "traffic_payment_notices_total"
    while (delivered := metric_value(client.get("/metrics").text, name, outcome="delivered")) != 1:
        assert time.monotonic() < deadline, f"delivered notices counted: {delivered}"
        time.sleep(0.05)


def test_time_is_beijing_time_across_midnight() -> None:
    paid_at = datetime(2026, 6, 15, 23, 30, tzinfo=SHANGHAI).astimezone(UTC)
    assert template_data(amount_fen=1, decision_number="x", paid_at=paid_at)["time"] == (
        "2026-06-15 23:30"
    )
