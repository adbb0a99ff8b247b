"""Paying fines over WeChat Pay: frozen amounts, idempotent orders, notifications exactly once,
refused notifications, reconciliation, refunds, receipts and who may see what.

The provider is the fake of conftest (the real protocol, signatures both ways); the app's clock
is the test's, while signatures use real time as the protocol does.
"""

import io
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import pypdf
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.clock import SHANGHAI
from servicekit.db import make_engine
from servicekit.identity import WechatUser, issue_token
from servicekit.settings import SharedSettings
from servicekit.state import engine_of
from servicekit.testing import TEST_SECRET, metric_value, mint_token, require, serve_in_thread
from traffic.models import PaymentEvent, PaymentOrder, PenaltyDecision
from traffic.payments.client import pay_client_of
from traffic.payments.provider import parse_trade_bill
from traffic.payments.reconciliation import reconcile_once
from traffic.settings import TrafficSettings
from wechat import pay as wechatpay
from wechat.demo_citizens import demo_citizen
from wechat.pay_dev import ensure_dev_keys

Headers = Callable[[str], dict[str, str]]
ZHANGSAN = {"plate": "粤S12345", "vin6": "123456"}
# Zhangsan's red-light decision of the seed: decided 2026-05-16, unpaid (29000 due on the anchor).
SEEDED_UNPAID = "4419002600000031"
NOTIFY = "/v1/payments/notify/wechatpay"
DGJJ_APPID = "wxdev0000000dgjj"


def officer() -> dict[str, str]:
    """A traffic officer's headers (tokens live 60 s: minted when used)."""
    return mint_token("traffic", "officer-007", roles=["traffic_officer"], kind="staff")


def openid_of(key: str) -> str:
    return demo_citizen(key).openid(DGJJ_APPID)


def signed_in(key: str, *, appid: str = DGJJ_APPID, openid: str | None = None) -> dict[str, str]:
    """Headers of a demo citizen as the gateway sends them after their WeChat sign-in through
    `appid`: the token names the payer (its openid with that app)."""
    wechat = WechatUser(appid=appid, openid=openid or demo_citizen(key).openid(appid))
    token = issue_token(
        secret=TEST_SECRET, audience="traffic", subject=demo_citizen(key).citizen_id, wechat=wechat
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers_of() -> Headers:
    """Here every demo citizen signed in through 东莞交警's WeChat OAuth (tokens minted when
    used: they live 60 s)."""
    return signed_in


def decide_markings(client: TestClient, headers: dict[str, str]) -> str:
    """Zhangsan handles his 200-yuan 1345 violation today; the decision number."""
    items = client.get("/v1/violations", params=ZHANGSAN).json()["items"]
    violation = next(i["id"] for i in items if i["code"] == "1345")
    response = client.post(f"/v1/me/violations/{violation}/decision", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["number"]


def create(
    client: TestClient,
    number: str,
    headers: dict[str, str],
    *,
    key: str = "key-1",
) -> httpx.Response:
    return client.post(
        f"/v1/decisions/{number}/payments", headers={**headers, "Idempotency-Key": key}
    )


def notify(client: TestClient, body: str, headers: dict[str, str]) -> httpx.Response:
    return client.post(NOTIFY, content=body.encode(), headers=headers)


def payment_metric(client: TestClient, name: str, **labels: str) -> float | None:
    """A sample of `traffic_payment_<name>_total` on the app's `/metrics`."""
    exposition = client.get("/metrics").text
    return metric_value(exposition, f"traffic_payment_{name}_total", **labels)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def event_types(client: TestClient, payment_id: int, headers: dict[str, str]) -> list[str]:
    response = client.get(f"/v1/payments/{payment_id}/events", headers=headers)
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()["items"]]


def test_paying_on_day_20_charges_the_surcharge_frozen_in_the_order(
    client: TestClient, headers_of: Headers, clock, anchor: date, fake_pay, pay_keys
) -> None:
    zhangsan = headers_of("zhangsan")
    number = decide_markings(client, zhangsan)
    day20 = anchor + timedelta(days=20)
    clock.now = at(day20, 23, 0)
    response = create(client, number, zhangsan)
    assert response.status_code == 201, response.text
    order = response.json()
    # 5 days past the 15: 15% of 200 yuan.
    assert (order["fine_fen"], order["surcharge_fen"], order["amount_fen"]) == (20000, 3000, 23000)
    assert (order["overdue_days"], order["priced_on"]) == (5, day20.isoformat())
    assert order["state"] == {"status": "started", "finished": False, "failure_reason": None}
    assert order["expires_at"] == at(day20 + timedelta(days=1), 1, 0).isoformat()
    # What the provider was asked for: the frozen amount, our notify URL, a 2-hour expiry.
    sent = fake_pay.orders[order["out_trade_no"]]
    assert sent["amount"] == {"total": 23000, "currency": "CNY"}
    assert sent["payer"] == {"openid": openid_of("zhangsan")}
    assert sent["time_expire"] == "2026-07-06T01:00:00+08:00"
    assert sent["notify_url"].endswith("/payments/notify/wechatpay")
    # The browser's parameters, signed with the merchant key.
    jsapi = order["jsapi"]
    assert jsapi["package"] == f"prepay_id={sent['prepay_id']}" and jsapi["signType"] == "RSA"
    assert jsapi["appId"] == pay_keys.appid
    merchant_public = wechatpay.load_public_key(pay_keys.path("merchant_public_key").read_bytes())
    wechatpay.verify(
        merchant_public,
        f"{jsapi['appId']}\n{jsapi['timeStamp']}\n{jsapi['nonceStr']}\n{jsapi['package']}\n",
        jsapi["paySign"],
    )
    assert order["pay_page_url"] == f"{fake_pay.base_url}/pay/{sent['prepay_id']}"

    # Half an hour later it is day 21: the decision now costs more, the order does not.
    clock.now = at(day20 + timedelta(days=1), 0, 30)
    assert client.get(f"/v1/decisions/{number}").json()["amount_due_fen"] == 23600
    again = create(client, number, zhangsan)
    assert again.status_code == 201
    assert (again.json()["id"], again.json()["amount_fen"]) == (order["id"], 23000)
    assert client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()["amount_fen"] == 23000

    fake_pay.pay(order["out_trade_no"])
    delivered = notify(client, *fake_pay.notification(order["out_trade_no"]))
    assert delivered.status_code == 204 and delivered.content == b""
    paid = client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()
    assert paid["state"] == {"status": "success", "finished": True, "failure_reason": None}
    assert paid["transaction_id"] == fake_pay.orders[order["out_trade_no"]]["transaction_id"]
    decision = client.get(f"/v1/decisions/{number}").json()
    assert (decision["status"], decision["amount_due_fen"]) == ("paid", 0)
    assert event_types(client, order["id"], zhangsan) == ["created", "started", "paid"]
    # Paying does not touch the points the decision applied.
    assert client.get("/v1/me/licence", headers=zhangsan).json()["points"] == 10
    # A paid decision takes no new order.
    refused = create(client, number, zhangsan, key="key-2")
    assert refused.status_code == 409 and "已于" in refused.json()["detail"]


def test_the_dev_pay_page_is_linked_where_the_citizens_browser_reaches_the_sandbox(
    make_client: Callable[..., TestClient], headers_of: Headers, fake_pay
) -> None:
    # Under compose traffic calls the sandbox at sandbox:8009; a browser on the host cannot.
    client = make_client(wechatpay_pay_page_base_url="http://127.0.0.1:18009/")
    zhangsan = headers_of("zhangsan")
    order = create(client, decide_markings(client, zhangsan), zhangsan).json()
    prepay_id = fake_pay.orders[order["out_trade_no"]]["prepay_id"]
    assert order["pay_page_url"] == f"http://127.0.0.1:18009/pay/{prepay_id}"


def test_a_new_order_closes_the_open_one_and_after_expiry_is_recomputed(
    client: TestClient, headers_of: Headers, clock, anchor: date, fake_pay
) -> None:
    zhangsan = headers_of("zhangsan")
    number = decide_markings(client, zhangsan)
    clock.now = at(anchor + timedelta(days=20), 10)
    first = create(client, number, zhangsan, key="a").json()
    # Within its two hours, a new order cancels the first (closed at the provider too).
    clock.advance(minutes=30)
    second = create(client, number, zhangsan, key="b").json()
    assert second["amount_fen"] == first["amount_fen"] == 23000
    assert fake_pay.orders[first["out_trade_no"]]["trade_state"] == "CLOSED"
    cancelled = client.get(f"/v1/payments/{first['id']}", headers=zhangsan).json()
    assert cancelled["state"] == {"status": "cancelled", "finished": True, "failure_reason": None}
    # The next day the second has expired: the third is priced on the new day.
    clock.now = at(anchor + timedelta(days=21), 10)
    third = create(client, number, zhangsan, key="c").json()
    assert (third["surcharge_fen"], third["amount_fen"], third["overdue_days"]) == (3600, 23600, 6)
    expired = client.get(f"/v1/payments/{second['id']}", headers=zhangsan).json()
    assert expired["state"] == {"status": "failed", "finished": True, "failure_reason": "expired"}
    assert event_types(client, second["id"], zhangsan) == ["created", "started", "expired"]
    mine = client.get("/v1/me/payments", headers=zhangsan).json()
    assert [p["id"] for p in mine["items"]] == [third["id"], second["id"], first["id"]]
    # A late SUCCESS for the cancelled first order (paid before the close) is never lost:
    # the order becomes success, the decision paid, and the open third order is closed.
    fake_pay.orders[first["out_trade_no"]]["trade_state"] = "NOTPAY"
    fake_pay.pay(first["out_trade_no"])
    assert notify(client, *fake_pay.notification(first["out_trade_no"])).status_code == 204
    late = client.get(f"/v1/payments/{first['id']}", headers=zhangsan).json()
    assert late["state"]["status"] == "success"
    assert client.get(f"/v1/decisions/{number}").json()["status"] == "paid"
    closed = client.get(f"/v1/payments/{third['id']}", headers=zhangsan).json()
    assert closed["state"]["status"] == "cancelled"
    assert fake_pay.orders[third["out_trade_no"]]["trade_state"] == "CLOSED"


@pytest.mark.slow
def test_idempotency_key_same_body_one_order_other_body_409(
    client: TestClient, headers_of: Headers, fake_pay, clock
) -> None:
    zhangsan = headers_of("zhangsan")
    first = create(client, SEEDED_UNPAID, zhangsan, key="same")
    second = create(client, SEEDED_UNPAID, zhangsan, key="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["amount_fen"] == 29000
    assert [c for c in fake_pay.calls if c[1].endswith("/jsapi")] == [
        ("POST", "/v3/pay/transactions/jsapi")
    ]
    assert client.get("/v1/me/payments", headers=zhangsan).json()["total"] == 1
    # Another payer (his token names another openid) with the same key is another request.
    other_payer = signed_in("zhangsan", openid="o" + "x" * 27)
    other = create(client, SEEDED_UNPAID, other_payer, key="same")
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    assert other.headers["content-type"] == "application/problem+json"
    no_key = client.post(f"/v1/decisions/{SEEDED_UNPAID}/payments", headers=zhangsan)
    assert no_key.status_code == 422
    assert no_key.json()["errors"][0]["field"] == "Idempotency-Key"
    # After 24 hours the key may start a new order.
    clock.advance(hours=25)
    later = create(client, SEEDED_UNPAID, zhangsan, key="same")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]


@pytest.mark.slow
def test_concurrent_creations_with_one_key_make_one_order(
    make_client, headers_of: Headers, fake_pay
) -> None:
    client = make_client()
    zhangsan = headers_of("zhangsan")
    with serve_in_thread(client.app) as base:
        barrier = threading.Barrier(8)

        def post(_: int) -> httpx.Response:
            barrier.wait()
            return httpx.post(
                f"{base}/v1/decisions/{SEEDED_UNPAID}/payments",
                headers={**zhangsan, "Idempotency-Key": "race"},
                timeout=30,
            )

        responses = run_threads(post, 8)
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert client.get("/v1/me/payments", headers=zhangsan).json()["total"] == 1


def run_threads(work: Callable[[int], httpx.Response], count: int) -> list[httpx.Response]:
    results: list[httpx.Response | BaseException] = [None] * count  # type: ignore[list-item]

    def run(index: int) -> None:
        try:
            results[index] = work(index)
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("tamper", "status", "reason"),
    [
        ({"bad_signature": True}, 401, "签名无效"),
        ({"age_seconds": 600}, 401, "时间戳超出5分钟"),
        ({"total": 1}, 400, "金额1分与订单金额29000分不符"),
    ],
    ids=["bad_signature", "stale_timestamp", "mismatch"],
)
def test_refused_notifications_leave_the_order_unpaid_and_flagged(
    client: TestClient,
    headers_of: Headers,
    fake_pay,
    caplog: pytest.LogCaptureFixture,
    tamper: dict,
    status: int,
    reason: str,
    request: pytest.FixtureRequest,
) -> None:
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    fake_pay.pay(order["out_trade_no"])
    with caplog.at_level(logging.ERROR, logger="traffic.payments"):
        refused = notify(client, *fake_pay.notification(order["out_trade_no"], **tamper))
    assert refused.status_code == status
    assert refused.json()["code"] == "FAIL" and refused.json()["message"]
    assert any(getattr(r, "alert", None) == "wechatpay_alert" for r in caplog.records)
    after = client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()
    assert after["state"]["status"] == "started" and after["under_review"] is True
    assert client.get(f"/v1/decisions/{SEEDED_UNPAID}").json()["status"] == "decided_unpaid"
    events = client.get(f"/v1/payments/{order['id']}/events", headers=zhangsan).json()["items"]
    assert events[-1]["type"] == "flagged" and reason in events[-1]["detail"]
    # Delivered again, the same refusal flags once.
    notify(client, *fake_pay.notification(order["out_trade_no"], **tamper))
    assert event_types(client, order["id"], zhangsan).count("flagged") == 1
    # Both deliveries counted under their reason (the test's id).
    counted = payment_metric(client, "notifications_refused", reason=request.node.callspec.id)
    assert counted == 2


def test_a_notification_that_does_not_decrypt_or_names_no_order_is_refused(
    client: TestClient, headers_of: Headers, fake_pay, pay_keys
) -> None:
    order = create(client, SEEDED_UNPAID, headers_of("zhangsan")).json()
    fake_pay.pay(order["out_trade_no"])
    body, _ = fake_pay.notification(order["out_trade_no"])
    tampered = body.replace('"nonce": "', '"nonce": "0')
    platform = wechatpay.load_private_key(pay_keys.path("platform_private_key").read_bytes())
    resigned = wechatpay.signed_headers(
        platform, serial=pay_keys.platform_public_key_id, body=tampered
    )
    assert notify(client, tampered, resigned).status_code == 400
    unknown = {**fake_pay.transaction(order["out_trade_no"]), "out_trade_no": "JJ000"}
    assert notify(client, *fake_pay.notification(resource=unknown)).status_code == 400
    not_json = wechatpay.signed_headers(
        platform, serial=pay_keys.platform_public_key_id, body="not json"
    )
    assert notify(client, "not json", not_json).status_code == 400
    status = client.get(f"/v1/payments/{order['id']}", headers=headers_of("zhangsan")).json()
    assert status["state"]["status"] == "started"


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_deeply_nested_notification_is_refused_not_a_crash(
    client: TestClient, pay_keys, signed: bool
) -> None:
    # 100,000 nested brackets overflow Python's parser; unsigned, they are never parsed.
    body = "[" * 100_000 + "]" * 100_000
    headers = {"Content-Type": "application/json"}
    if signed:
        platform = wechatpay.load_private_key(pay_keys.path("platform_private_key").read_bytes())
        headers |= wechatpay.signed_headers(
            platform, serial=pay_keys.platform_public_key_id, body=body
        )
    answer = notify(client, body, headers)
    assert answer.status_code == (400 if signed else 401)
    assert answer.json()["code"] == "FAIL"


def test_duplicates_and_late_deliveries_change_nothing(
    client: TestClient, headers_of: Headers, fake_pay, clock, seeded_database_url: str
) -> None:
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    fake_pay.pay(order["out_trade_no"])
    delivery = fake_pay.notification(order["out_trade_no"])
    for _ in range(3):
        assert notify(client, *delivery).status_code == 204
    assert payment_metric(client, "transitions", status="success", source="notification") == 1
    assert payment_metric(client, "transitions", status="started", source="citizen") == 1
    # Reconciliation afterwards, then a late notification: still one "paid".
    clock.advance(minutes=10)
    report = reconcile_once(
        engine_of(client.app), pay_client_of(client.app), now=clock.now.astimezone(UTC)
    )
    assert report.succeeded == [] and report.checked == 0
    assert notify(client, *fake_pay.notification(order["out_trade_no"])).status_code == 204
    assert event_types(client, order["id"], zhangsan) == ["created", "started", "paid"]
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        decision = session.get(PenaltyDecision, SEEDED_UNPAID)
        assert decision is not None and decision.paid_fen == 29000
    engine.dispose()


@pytest.mark.slow
def test_twenty_concurrent_identical_notifications_pay_once(
    make_client, headers_of: Headers, fake_pay, seeded_database_url: str
) -> None:
    """On PostgreSQL (TEST_DATABASE=postgres) this is the acceptance test; SQLite runs it too."""
    client = make_client()
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    fake_pay.pay(order["out_trade_no"])
    body, headers = fake_pay.notification(order["out_trade_no"])
    with serve_in_thread(client.app) as base:
        barrier = threading.Barrier(20)

        def deliver(_: int) -> httpx.Response:
            barrier.wait()
            return httpx.post(f"{base}{NOTIFY}", content=body.encode(), headers=headers, timeout=60)

        responses = run_threads(deliver, 20)
    assert [r.status_code for r in responses] == [204] * 20, [r.text for r in responses]
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        events = session.exec(
            select(PaymentEvent).where(PaymentEvent.payment_id == order["id"])
        ).all()
        assert [e.type for e in events].count("paid") == 1
        assert [e.status for e in events].count("success") == 1
        decision = session.get(PenaltyDecision, SEEDED_UNPAID)
        assert decision is not None and decision.paid_fen == 29000
        assert decision.paid_on is not None  # the provider's success_time, Shanghai day
        stored = session.get(PaymentOrder, order["id"])
        assert stored is not None and stored.status == "success" and not stored.flagged
    engine.dispose()


@pytest.mark.slow
def test_reconcile_repairs_paid_unnotified_and_expired_orders(
    client: TestClient, headers_of: Headers, fake_pay, clock
) -> None:
    zhangsan = headers_of("zhangsan")
    paid = create(client, SEEDED_UNPAID, zhangsan, key="paid").json()
    other = decide_markings(client, zhangsan)
    unpaid = create(client, other, zhangsan, key="unpaid").json()
    fake_pay.pay(paid["out_trade_no"])  # and the notification never comes
    engine, pay = engine_of(client.app), pay_client_of(client.app)

    # Too young to be looked at yet (the trade bill is left out here, see below).
    young = reconcile_once(engine, pay, now=clock.now.astimezone(UTC), bill_dates=[])
    assert (young.checked, young.succeeded) == (0, [])
    clock.advance(minutes=10)
    report = reconcile_once(engine, pay, now=clock.now.astimezone(UTC), bill_dates=[])
    assert report.succeeded == [paid["out_trade_no"]] and report.checked == 2
    assert client.get(f"/v1/payments/{paid['id']}", headers=zhangsan).json()["state"] == {
        "status": "success",
        "finished": True,
        "failure_reason": None,
    }
    assert client.get(f"/v1/decisions/{SEEDED_UNPAID}").json()["status"] == "paid"
    events = client.get(f"/v1/payments/{paid['id']}/events", headers=zhangsan).json()["items"]
    assert (events[-1]["type"], events[-1]["source"]) == ("paid", "reconcile")
    # Still within its two hours, the unpaid order stays open.
    assert client.get(f"/v1/payments/{unpaid['id']}", headers=zhangsan).json()["state"][
        "status"
    ] == ("started")
    # Past them, it is closed at the provider and fails as expired.
    clock.advance(hours=2)
    report = reconcile_once(engine, pay, now=clock.now.astimezone(UTC))
    assert report.failed == [unpaid["out_trade_no"]]
    assert fake_pay.orders[unpaid["out_trade_no"]]["trade_state"] == "CLOSED"
    state = client.get(f"/v1/payments/{unpaid['id']}", headers=zhangsan).json()["state"]
    assert state == {"status": "failed", "finished": True, "failure_reason": "expired"}
    # Idempotent: another run changes nothing.
    again = reconcile_once(engine, pay, now=clock.now.astimezone(UTC))
    assert (again.checked, again.succeeded, again.failed) == (0, [], [])
    assert event_types(client, paid["id"], zhangsan).count("paid") == 1


def test_reconcile_finds_in_the_trade_bill_a_payment_we_had_given_up_on(
    client: TestClient, headers_of: Headers, fake_pay, clock, seeded_database_url: str
) -> None:
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    fake_pay.pay(order["out_trade_no"])
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:  # as if we had closed it, and the close had raced the payer
        stored = session.get(PaymentOrder, order["id"])
        assert stored is not None
        stored.status, stored.failure_reason = "failed", "expired"
        session.add(stored)
        session.commit()
    engine.dispose()
    today = datetime.now(SHANGHAI).date()
    report = reconcile_once(
        engine_of(client.app),
        pay_client_of(client.app),
        now=clock.now.astimezone(UTC),
        bill_dates=[today],
    )
    assert report.bill_rows == 1 and report.succeeded == [order["out_trade_no"]]
    assert client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()["state"][
        "status"
    ] == ("success")


def test_the_trade_bill_parser_reads_wechats_backticked_rows(fake_pay) -> None:
    fake_pay.orders["JJ1"] = {
        "appid": "wx1",
        "mchid": "1900000109",
        "out_trade_no": "JJ1",
        "description": "罚款",
        "amount": {"total": 23000},
        "payer": {"openid": "oabc"},
        "transaction_id": "4200001",
        "success_time": "2026-07-05T23:10:00+08:00",
    }
    assert parse_trade_bill(fake_pay.bill("2026-07-04")) == []
    rows = parse_trade_bill(fake_pay.bill("2026-07-05"))
    assert len(rows) == 1
    assert (rows[0]["商户订单号"], rows[0]["交易状态"], rows[0]["订单金额"]) == (
        "JJ1",
        "SUCCESS",
        "230.00",
    )


def test_refunds_by_officers_once_per_out_refund_no_and_never_more_than_paid(
    client: TestClient, headers_of: Headers, fake_pay
) -> None:
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    path = f"/v1/payments/{order['id']}/refunds"
    ask = {"out_refund_no": "RF20260615001", "amount_fen": 9000, "expected_available_fen": 29000}
    ask["reason"] = "加处罚款复核减免"
    # Not paid yet: nothing to refund.
    assert client.post(path, json=ask, headers=officer()).status_code == 409
    fake_pay.pay(order["out_trade_no"])
    assert notify(client, *fake_pay.notification(order["out_trade_no"])).status_code == 204

    first = client.post(path, json=ask, headers=officer())
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["amount_fen"]) == ("submitted", 9000)
    retried = client.post(path, json=ask, headers=officer())
    assert retried.status_code == 201 and retried.json()["id"] == first.json()["id"]
    assert fake_pay.orders[order["out_trade_no"]]["refunded"] == 9000
    summary = client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()["refund_summary"]
    assert summary == {
        "status": "pending",
        "amount_available_fen": 20000,
        "amount_submitted_fen": 9000,
        "amount_refunded_fen": 0,
    }
    # The refund notification, twice: refunded once.
    for _ in range(2):
        delivery = fake_pay.refund_notification("RF20260615001")
        assert notify(client, *delivery).status_code == 204
    listed = client.get(path, headers=zhangsan).json()["items"]
    assert [(r["status"], r["amount_fen"]) for r in listed] == [("success", 9000)]
    assert event_types(client, order["id"], zhangsan).count("refunded") == 1

    # A stale expected amount is 412; more than is available is refused; neither refunds.
    stale = {**ask, "out_refund_no": "RF20260615002", "amount_fen": 100}
    assert client.post(path, json=stale, headers=officer()).status_code == 412
    too_much = {**stale, "amount_fen": 20001, "expected_available_fen": 20000}
    over = client.post(path, json=too_much, headers=officer())
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "amount_fen"
    assert fake_pay.orders[order["out_trade_no"]]["refunded"] == 9000
    # The same out_refund_no for another amount is a conflict.
    reused = {**ask, "amount_fen": 100}
    assert client.post(path, json=reused, headers=officer()).status_code == 409
    # The rest, at once.
    fake_pay.refunds_succeed_at_once = True
    rest = {**stale, "amount_fen": 20000, "expected_available_fen": 20000}
    assert client.post(path, json=rest, headers=officer()).json()["status"] == "success"
    summary = client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()["refund_summary"]
    assert (summary["status"], summary["amount_refunded_fen"]) == ("full", 29000)
    # Only officers refund.
    citizen = client.post(path, json={**ask, "out_refund_no": "RF3xxxxx"}, headers=zhangsan)
    assert citizen.status_code == 403
    clerk = mint_token("traffic", "clerk", roles=["forecaster"], kind="staff")
    assert client.post(path, json=ask, headers=clerk).status_code == 403
    assert client.post(path, json=ask).status_code == 401


@pytest.mark.slow
def test_receipt_json_and_pdf_in_chinese(client: TestClient, headers_of: Headers, fake_pay) -> None:
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    assert client.get(f"/v1/payments/{order['id']}/receipt", headers=zhangsan).status_code == 409
    fake_pay.pay(order["out_trade_no"])
    notify(client, *fake_pay.notification(order["out_trade_no"]))
    receipt = client.get(f"/v1/payments/{order['id']}/receipt", headers=zhangsan).json()
    assert receipt["payer"] == "张*" and "*" in receipt["payer_openid"]
    assert openid_of("zhangsan") not in str(receipt)
    assert (receipt["decision_number"], receipt["plate"], receipt["violation_code"]) == (
        SEEDED_UNPAID,
        "粤S12345",
        "1625",
    )
    assert (receipt["fine_yuan"], receipt["surcharge_yuan"], receipt["amount_yuan"]) == (
        "200.00",
        "90.00",
        "290.00",
    )
    assert receipt["transaction_id"] == fake_pay.orders[order["out_trade_no"]]["transaction_id"]
    try:
        find_cjk_font("交通违法罚款电子缴款凭证")
    except CJKFontNotFound:
        require("no CJK font installed (fonts-wqy-microhei)")
    pdf = client.get(f"/v1/payments/{order['id']}/receipt.pdf", headers=zhangsan)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    for expected in (
        "交通违法罚款电子缴款凭证",
        "东莞市公安局交通警察支队",
        "当事人",
        "张*",
        SEEDED_UNPAID,
        "驾驶机动车违反道路交通信号灯通行的",
        "罚款金额200.00元",
        "加处罚款90.00元",
        "实缴金额290.00元",
        receipt["transaction_id"],
    ):
        assert expected in compact, (expected, text)
    assert "张三" not in compact


def test_no_citizen_sees_or_pays_anothers_payments(
    client: TestClient, headers_of: Headers, fake_pay
) -> None:
    zhangsan, lisi = headers_of("zhangsan"), headers_of("lisi")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    refused = create(client, SEEDED_UNPAID, lisi)
    assert refused.status_code == 403 and "绑定" in refused.json()["detail"]
    for suffix in ("", "/events", "/refunds", "/receipt", "/receipt.pdf"):
        path = f"/v1/payments/{order['id']}{suffix}"
        assert client.get(path, headers=lisi).status_code == 404, path
        assert client.get(path).status_code == 401, path
    assert client.get("/v1/me/payments", headers=lisi).json()["total"] == 0
    assert client.get("/v1/me/payments").status_code == 401
    assert create(client, SEEDED_UNPAID, {}).status_code == 401
    staff = mint_token("traffic", "staff-1", roles=["traffic_officer"], kind="staff")
    assert create(client, SEEDED_UNPAID, staff).status_code == 403
    # Officers may read it (to refund); the owner still sees it.
    assert client.get(f"/v1/payments/{order['id']}/events", headers=officer()).status_code == 200
    assert client.get(f"/v1/payments/{order['id']}", headers=zhangsan).status_code == 200
    # Unknown or invalid decisions.
    assert create(client, "4419002699999994", zhangsan, key="k2").status_code == 404
    assert create(client, "4419002600000032", zhangsan, key="k3").status_code == 422
    # The same key for another decision is another request.
    assert create(client, decide_markings(client, zhangsan), zhangsan).status_code == 409


def test_the_provider_unreachable_or_unverifiable_leaves_the_order_to_retry(
    client: TestClient, headers_of: Headers, fake_pay
) -> None:
    zhangsan = headers_of("zhangsan")
    fake_pay.wrong_signature = True
    unverified = create(client, SEEDED_UNPAID, zhangsan)
    assert unverified.status_code == 503 and "同一请求重试" in unverified.json()["detail"]
    fake_pay.wrong_signature = False
    fake_pay.unavailable = True
    assert create(client, SEEDED_UNPAID, zhangsan).status_code == 503
    fake_pay.unavailable = False
    retried = create(client, SEEDED_UNPAID, zhangsan)
    assert retried.status_code == 201 and retried.json()["state"]["status"] == "started"
    assert event_types(client, retried.json()["id"], zhangsan) == ["created", "started"]


def test_wechatpay_settings_come_from_dev_keys_only_in_dev(tmp_path, monkeypatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("TRAFFIC_WECHATPAY") or name == "TRAFFIC_PAYMENT_NOTIFY_URL":
            monkeypatch.delenv(name)
    with pytest.raises(ValidationError) as refused:
        TrafficSettings(
            _env_file=None, shared=SharedSettings(env="prod", internal_token_secret="s" * 32)
        )
    assert "TRAFFIC_WECHATPAY_MERCHANT_PRIVATE_KEY_PATH" in str(refused.value)
    folder = tmp_path / "keys"
    dev = TrafficSettings(
        _env_file=None, shared=SharedSettings(env="dev"), wechatpay_dev_keys_folder=str(folder)
    )
    keys = ensure_dev_keys(folder)
    assert dev.wechatpay_base_url == "http://127.0.0.1:8009"
    assert dev.wechatpay_apiv3_key == keys.apiv3_key
    assert dev.wechatpay_merchant_private_key_path == str(keys.path("merchant_private_key"))
    assert dev.payment_notify_url.endswith("/api/v1/traffic/payments/notify/wechatpay")
    monkeypatch.setenv("TRAFFIC_WECHATPAY_BASE_URL", "https://pay.example.test/")
    assert (
        TrafficSettings(
            _env_file=None, shared=SharedSettings(env="dev"), wechatpay_dev_keys_folder=str(folder)
        ).wechatpay_base_url
        == "https://pay.example.test"
    )
    with pytest.raises(ValidationError):
        TrafficSettings(
            _env_file=None,
            shared=SharedSettings(env="dev"),
            wechatpay_dev_keys_folder=str(folder),
            wechatpay_apiv3_key="short",
        )


@pytest.mark.slow
def test_the_in_service_schedule_reconciles_without_being_asked(
    make_client: Callable[..., TestClient], headers_of: Headers, fake_pay
) -> None:
    client = make_client(reconcile_every_seconds=0.2, reconcile_after_seconds=0)
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    fake_pay.pay(order["out_trade_no"])  # and the notification never comes
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline and status != "success":
        time.sleep(0.1)
        status = client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()["state"][
            "status"
        ]
    assert status == "success"
    assert event_types(client, order["id"], zhangsan).count("paid") == 1


@pytest.mark.slow
def test_the_schedule_is_off_unless_configured(
    client: TestClient, headers_of: Headers, fake_pay
) -> None:
    zhangsan = headers_of("zhangsan")
    order = create(client, SEEDED_UNPAID, zhangsan).json()
    fake_pay.pay(order["out_trade_no"])
    time.sleep(0.5)
    assert (
        client.get(f"/v1/payments/{order['id']}", headers=zhangsan).json()["state"]["status"]
        == "started"
    )
