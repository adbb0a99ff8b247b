"""The WeChat Pay v3 simulator: signed API, orders, payer's page, notifications, refunds, bills.

The merchant side here is written against `wechat.pay` (what traffic uses) and, as an
independent peer, against `wechatpayv3`: both must accept what the sandbox sends.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import aes_decrypt, rsa_verify

from sandbox.clock import CHINA
from sandbox.main import create_app
from sandbox.pay.notify import RETRY_SCHEDULE_SECONDS
from sandbox.settings import SandboxSettings
from sandbox.wiring import sandbox_of
from servicekit.settings import SharedSettings
from servicekit.testing import serve_in_thread
from wechat import pay as wp
from wechat.demo_citizens import demo_citizen
from wechat.pay_dev import DevKeySet, ensure_dev_keys

SCALE = 0.0005  # the whole retry schedule (~25.5 h) in ~46 s; the first retries in ms


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> DevKeySet:
    return ensure_dev_keys(tmp_path_factory.mktemp("paykeys"))


# -- a merchant that receives notifications, served in a thread --------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    verified: str  # "ok" or why wechat.pay refused it
    plaintext: dict[str, Any] | None


@dataclass
class FakeMerchant:
    """Verifies and decrypts what it receives with wechat.pay; answers `script` in
    turn (then `default`)."""

    keys: DevKeySet
    script: list[int] = field(default_factory=list)
    default: int = 204
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()
        public = wp.load_public_key(self.keys.path("platform_public_key").read_bytes())

        @app.post("/notify/{kind}")
        async def notify(kind: str, request: Request) -> Response:
            body = (await request.body()).decode()
            verified, plaintext = "ok", None
            try:
                wp.verify_signed(
                    public, request.headers, body, serial=self.keys.platform_public_key_id
                )
                plaintext = json.loads(
                    wp.decrypt_resource(self.keys.apiv3_key, json.loads(body)["resource"])
                )
            except wp.WechatPayError as exc:
                verified = type(exc).__name__
            with self.lock:
                self.received.append(Received(dict(request.headers), body, verified, plaintext))
                status = self.script.pop(0) if self.script else self.default
            if status in (200, 204):
                return Response(status_code=status)
            return Response(
                json.dumps({"code": "FAIL", "message": "失败"}),
                status_code=status,
                media_type="application/json",
            )

        return app

    def wait(self, count: int, seconds: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} notifications, got {len(self.received)}")


@pytest.fixture
def merchant(keys: DevKeySet) -> Iterator[FakeMerchant]:
    fake = FakeMerchant(keys)
    with serve_in_thread(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
def pay_settings() -> dict[str, Any]:
    """Overrides of the simulator's settings (override in a test with `parametrize`)."""
    return {}


def make_settings(keys: DevKeySet, **overrides: Any) -> SandboxSettings:
    values: dict[str, Any] = {
        "wechat_accounts": [
            {"code": "dgjj", "appid": keys.appid, "token": "t-dgjj", "app_secret": "s-dgjj"}
        ],
        "shared": SharedSettings(env="dev"),
        "wechatpay_keys_dir": keys.folder,
        "wechatpay_retry_scale": SCALE,
    }
    return SandboxSettings(**(values | overrides))


@pytest.fixture
def sandbox(keys: DevKeySet, pay_settings: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(keys, **pay_settings))) as client:
        yield client


# -- the merchant's calls, signed as traffic signs them ----------------------------------------


class Merchant:
    """Signs requests with the merchant key and checks every answer's platform signature."""

    def __init__(self, client: TestClient, keys: DevKeySet) -> None:
        self.client = client
        self.keys = keys
        self.private = wp.load_private_key(keys.path("merchant_private_key").read_bytes())
        self.platform = wp.load_public_key(keys.path("platform_public_key").read_bytes())

    def call(
        self, method: str, url: str, body: Any = None, *, sign: bool = True, **headers: str
    ) -> httpx.Response:
        text = "" if body is None else json.dumps(body, ensure_ascii=False)
        if sign:
            headers.setdefault(
                "Authorization",
                wp.authorize(
                    self.private,
                    mchid=self.keys.mchid,
                    serial_no=self.keys.merchant_serial_no,
                    method=method,
                    url=url,
                    body=text,
                ),
            )
        response = self.client.request(
            method,
            url,
            content=text.encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        )
        if response.status_code != 503 and "json" in response.headers.get("content-type", "json"):
            wp.verify_signed(
                self.platform,
                response.headers,
                response.text,
                serial=self.keys.platform_public_key_id,
            )
        return response

    def order(self, out_trade_no: str, notify_url: str, **changes: Any) -> dict[str, Any]:
        body = {
            "appid": self.keys.appid,
            "mchid": self.keys.mchid,
            "description": "交通违法罚款 4419001234567890",
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": 20000, "currency": "CNY"},
            "payer": {"openid": demo_citizen("zhangsan").openid(self.keys.appid)},
        }
        return body | changes

    def create(self, out_trade_no: str, notify_url: str, **changes: Any) -> httpx.Response:
        return self.call(
            "POST",
            "/v3/pay/transactions/jsapi",
            self.order(out_trade_no, notify_url, **changes),
        )

    def query(self, out_trade_no: str) -> httpx.Response:
        return self.call(
            "GET", f"/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={self.keys.mchid}"
        )

    def refund(self, out_refund_no: str, refund: int, **changes: Any) -> httpx.Response:
        body = {
            "out_trade_no": "FINE20260001",
            "out_refund_no": out_refund_no,
            "reason": "处罚决定撤销",
            "amount": {"refund": refund, "total": 20000, "currency": "CNY"},
        }
        return self.call("POST", "/v3/refund/domestic/refunds", body | changes)


@pytest.fixture
def shop(sandbox: TestClient, keys: DevKeySet) -> Merchant:
    return Merchant(sandbox, keys)


def paid(shop: Merchant, merchant: FakeMerchant, out_trade_no: str = "FINE20260001") -> str:
    """Create and pay an order; return its prepay_id."""
    prepay_id = shop.create(out_trade_no, f"{merchant.url}/notify/pay").json()["prepay_id"]
    assert shop.client.post(f"/sandbox/pay/{prepay_id}/confirm").status_code == 200
    return prepay_id


def error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return body["message"]


# -- signatures ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_requests_must_be_signed_by_the_merchant(shop: Merchant, keys: DevKeySet) -> None:
    body = shop.order("FINE20260001", "https://traffic.example/notify")
    assert "Authorization" in error(
        shop.call("POST", "/v3/pay/transactions/jsapi", body, sign=False), 401, "SIGN_ERROR"
    )
    # Signed over another body, with another key, or too long ago.
    other = dict(body, amount={"total": 1})
    forged = wp.authorize(
        shop.private,
        mchid=keys.mchid,
        serial_no=keys.merchant_serial_no,
        method="POST",
        url="/v3/pay/transactions/jsapi",
        body=json.dumps(other),
    )
    error(
        shop.call("POST", "/v3/pay/transactions/jsapi", body, Authorization=forged),
        401,
        "SIGN_ERROR",
    )
    platform_key = wp.load_private_key(keys.path("platform_private_key").read_bytes())
    wrong_key = wp.authorize(
        platform_key,
        mchid=keys.mchid,
        serial_no=keys.merchant_serial_no,
        method="POST",
        url="/v3/pay/transactions/jsapi",
        body=json.dumps(body, ensure_ascii=False),
    )
    error(
        shop.call("POST", "/v3/pay/transactions/jsapi", body, Authorization=wrong_key),
        401,
        "SIGN_ERROR",
    )
    stale = wp.authorize(
        shop.private,
        mchid=keys.mchid,
        serial_no=keys.merchant_serial_no,
        method="POST",
        url="/v3/pay/transactions/jsapi",
        body=json.dumps(body, ensure_ascii=False),
        timestamp=int(time.time()) - 600,
    )
    assert "5分钟" in error(
        shop.call("POST", "/v3/pay/transactions/jsapi", body, Authorization=stale),
        401,
        "SIGN_ERROR",
    )
    error(
        shop.call("GET", "/v3/pay/transactions/out-trade-no/X?mchid=1", sign=False),
        401,
        "SIGN_ERROR",
    )
    # The query string is signed too.
    url = f"/v3/pay/transactions/out-trade-no/FINE20260001?mchid={keys.mchid}"
    header = wp.authorize(
        shop.private,
        mchid=keys.mchid,
        serial_no=keys.merchant_serial_no,
        method="GET",
        url=url,
        body="",
    )
    error(shop.call("GET", url + "0", Authorization=header), 401, "SIGN_ERROR")


def test_refusals_have_wechats_shape_and_statuses(shop: Merchant, keys: DevKeySet) -> None:
    notify = "https://traffic.example/notify"
    cases = [
        ({"description": "罚" * 128}, 400, "PARAM_ERROR"),
        ({"out_trade_no": "12345"}, 400, "PARAM_ERROR"),
        ({"out_trade_no": "FINE/2026/1"}, 400, "PARAM_ERROR"),
        ({"amount": {"total": 0}}, 400, "PARAM_ERROR"),
        ({"amount": {"total": 200.5}}, 400, "PARAM_ERROR"),
        ({"amount": {"total": 100, "currency": "USD"}}, 400, "PARAM_ERROR"),
        ({"payer": {}}, 400, "PARAM_ERROR"),
        ({"notify_url": "ftp://traffic.example/n"}, 400, "PARAM_ERROR"),
        ({"notify_url": "https://traffic.example/n?order=1"}, 400, "PARAM_ERROR"),
        ({"time_expire": "2020-01-01T00:00:00+08:00"}, 400, "PARAM_ERROR"),
        ({"time_expire": "tomorrow"}, 400, "PARAM_ERROR"),
        ({"mchid": "1900000000"}, 400, "MCH_NOT_EXISTS"),
        ({"appid": "wxother"}, 400, "APPID_MCHID_NOT_MATCH"),
    ]
    for change, status, code in cases:
        number = change.pop("out_trade_no", "FINE20260001")
        body = shop.order(number, notify) | change
        response = shop.call("POST", "/v3/pay/transactions/jsapi", body)
        error(response, status, code)
        assert response.headers["content-type"] == "application/json"
    detail = shop.create("FINE20260001", notify, amount={"total": 0}).json()["detail"]
    assert detail["field"] == "/amount/total" and detail["location"] == "body"
    error(shop.query("NOSUCHORDER1"), 404, "ORDER_NOT_EXIST")
    error(shop.call("GET", "/v3/pay/transactions/out-trade-no/NOSUCHORDER1"), 400, "PARAM_ERROR")
    error(
        shop.call(
            "GET", "/v3/pay/transactions/id/4200000000000000000000000000?mchid=" + keys.mchid
        ),
        404,
        "ORDER_NOT_EXIST",
    )
    raw = shop.client.post(
        "/v3/pay/transactions/jsapi",
        content=b"{not json",
        headers={
            "Authorization": wp.authorize(
                shop.private,
                mchid=keys.mchid,
                serial_no=keys.merchant_serial_no,
                method="POST",
                url="/v3/pay/transactions/jsapi",
                body="{not json",
            )
        },
    )
    error(raw, 400, "PARAM_ERROR")


# -- orders -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_create_query_pay_and_the_notification(shop: Merchant, merchant: FakeMerchant) -> None:
    created = shop.create("FINE20260001", f"{merchant.url}/notify/pay", attach="decision=1")
    assert created.status_code == 200
    prepay_id = created.json()["prepay_id"]
    assert prepay_id.startswith("wx") and len(prepay_id) == 36
    # The same order again: the same prepay_id; other parameters under the same number: refused.
    assert shop.create(
        "FINE20260001", f"{merchant.url}/notify/pay", attach="decision=1"
    ).json() == {"prepay_id": prepay_id}
    assert "重复" in error(
        shop.create("FINE20260001", f"{merchant.url}/notify/pay", amount={"total": 100}),
        400,
        "INVALID_REQUEST",
    )
    unpaid = shop.query("FINE20260001").json()
    assert unpaid["trade_state"] == "NOTPAY" and "transaction_id" not in unpaid
    assert unpaid["amount"] == {"total": 20000, "currency": "CNY", "payer_currency": "CNY"}

    order = shop.client.post(f"/sandbox/pay/{prepay_id}/confirm").json()
    assert order["trade_state"] == "SUCCESS"
    (note,) = merchant.wait(1)
    assert note.verified == "ok"
    envelope = json.loads(note.body)
    assert set(envelope) == {
        "id", "create_time", "resource_type", "event_type", "summary", "resource"
    }  # fmt: skip
    assert envelope["id"].startswith("EV-")
    assert envelope["event_type"] == "TRANSACTION.SUCCESS" and envelope["summary"] == "支付成功"
    assert envelope["resource_type"] == "encrypt-resource"
    resource = envelope["resource"]
    assert resource["original_type"] == "transaction"
    assert resource["algorithm"] == "AEAD_AES_256_GCM"
    assert resource["associated_data"] == "transaction" and len(resource["nonce"]) == 12
    datetime.fromisoformat(envelope["create_time"])
    assert note.headers["wechatpay-signature-type"] == "WECHATPAY2-SHA256-RSA2048"
    plaintext = note.plaintext
    assert plaintext is not None
    assert plaintext["trade_state"] == "SUCCESS" and plaintext["out_trade_no"] == "FINE20260001"
    assert plaintext["amount"] == {
        "total": 20000, "payer_total": 20000, "currency": "CNY", "payer_currency": "CNY"
    }  # fmt: skip
    assert plaintext["payer"]["openid"] == demo_citizen("zhangsan").openid(shop.keys.appid)
    assert len(plaintext["transaction_id"]) == 28 and plaintext["attach"] == "decision=1"
    assert plaintext["success_time"].endswith("+08:00")

    query = shop.query("FINE20260001").json()
    assert query == plaintext
    by_id = shop.call(
        "GET",
        f"/v3/pay/transactions/id/{plaintext['transaction_id']}?mchid={shop.keys.mchid}",
    )
    assert by_id.json() == query
    # Paid: not again, not closed.
    error(shop.create("FINE20260001", f"{merchant.url}/notify/pay"), 400, "ORDERPAID")
    error(
        shop.call(
            "POST",
            "/v3/pay/transactions/out-trade-no/FINE20260001/close",
            {"mchid": shop.keys.mchid},
        ),
        400,
        "ORDERPAID",
    )
    assert shop.client.post(f"/sandbox/pay/{prepay_id}/confirm").status_code == 409
    attempts = shop.client.get("/sandbox/pay/notifications").json()["items"][0]["attempts"]
    assert [(a["number"], a["status_code"]) for a in attempts] == [(1, 204)]


@pytest.mark.slow
def test_close_cancel_fail_and_expiry(shop: Merchant, merchant: FakeMerchant, sandbox) -> None:
    notify = f"{merchant.url}/notify/pay"
    prepay_id = shop.create("FINE20260001", notify).json()["prepay_id"]
    cancelled = shop.client.post(f"/sandbox/pay/{prepay_id}/cancel").json()
    assert cancelled["trade_state"] == "NOTPAY"  # the cashier closed; the order is still payable
    close = shop.call(
        "POST", "/v3/pay/transactions/out-trade-no/FINE20260001/close", {"mchid": shop.keys.mchid}
    )
    assert close.status_code == 204 and close.content == b""
    assert shop.query("FINE20260001").json()["trade_state"] == "CLOSED"
    again = shop.call(
        "POST", "/v3/pay/transactions/out-trade-no/FINE20260001/close", {"mchid": shop.keys.mchid}
    )
    assert again.status_code == 204
    refused = shop.client.post(f"/sandbox/pay/{prepay_id}/confirm")
    assert refused.status_code == 409 and "关闭" in refused.json()["detail"]
    error(shop.create("FINE20260001", notify), 400, "ORDER_CLOSED")
    error(
        shop.call(
            "POST",
            "/v3/pay/transactions/out-trade-no/NOSUCHORDER1/close",
            {"mchid": shop.keys.mchid},
        ),
        404,
        "ORDER_NOT_EXIST",
    )

    # A failed payment, then a success.
    prepay_id = shop.create("FINE20260002", notify).json()["prepay_id"]
    assert shop.client.post(f"/sandbox/pay/{prepay_id}/fail").json()["trade_state"] == "PAYERROR"
    assert shop.query("FINE20260002").json()["trade_state"] == "PAYERROR"

    # time_expire closes an unpaid order; a prepay_id lives 2 hours, then a new one is issued.
    expire = (datetime.now(CHINA) + timedelta(minutes=30)).isoformat(timespec="seconds")
    shop.create("FINE20260003", notify, time_expire=expire)
    first = shop.create("FINE20260004", notify).json()["prepay_id"]
    sandbox_of(sandbox.app).clock.advance(3600)
    assert shop.query("FINE20260003").json()["trade_state"] == "CLOSED"
    assert shop.create("FINE20260004", notify).json()["prepay_id"] == first
    sandbox_of(sandbox.app).clock.advance(3601)
    expired = shop.client.post(f"/sandbox/pay/{first}/confirm")
    assert expired.status_code == 409 and "过期" in expired.json()["detail"]
    second = shop.create("FINE20260004", notify).json()["prepay_id"]
    assert second != first
    assert shop.client.post(f"/sandbox/pay/{second}/confirm").json()["trade_state"] == "SUCCESS"
    assert merchant.wait(1)[0].plaintext["out_trade_no"] == "FINE20260004"


# -- the payer's page ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_payers_page(shop: Merchant, merchant: FakeMerchant) -> None:
    prepay_id = shop.create("FINE20260001", f"{merchant.url}/notify/pay").json()["prepay_id"]
    page = shop.client.get(f"/pay/{prepay_id}")
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    html = page.text
    for text in (
        "东莞交警",
        "东莞市公安局交通警察支队",
        "交通违法罚款",
        "200.00",
        "张三",
        "确认支付",
        "取消",
    ):
        assert text in html, text
    assert "http://" not in html.replace(merchant.url, "") and "https://" not in html  # no CDN
    css = shop.client.get("/pay-assets/pay.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    cancel = shop.client.post(f"/pay/{prepay_id}/cancel", follow_redirects=False)
    assert cancel.status_code == 303
    assert "已取消支付" in shop.client.get(cancel.headers["location"]).text
    assert shop.query("FINE20260001").json()["trade_state"] == "NOTPAY"

    # The JSAPI parameters as the merchant hands them to the browser: a bad paySign is refused.
    stamp, nonce_str = str(int(time.time())), wp.nonce()
    package = f"prepay_id={prepay_id}"
    good = wp.pay_sign(
        shop.private, app_id=shop.keys.appid, time_stamp=stamp, nonce_str=nonce_str, package=package
    )
    params = {
        "appId": shop.keys.appid,
        "timeStamp": stamp,
        "nonceStr": nonce_str,
        "package": package,
        "signType": "RSA",
        "return_url": "https://traffic.example/paid",
    }
    bad = shop.client.get(f"/pay/{prepay_id}", params=params | {"paySign": good[:-4] + "AAA="})
    assert "支付验证签名失败" in bad.text and "确认支付" not in bad.text
    shop.client.post(f"/pay/{prepay_id}/confirm", params=params | {"paySign": "x"})
    assert shop.query("FINE20260001").json()["trade_state"] == "NOTPAY"

    done = shop.client.post(f"/pay/{prepay_id}/confirm", params=params | {"paySign": good})
    assert done.status_code == 200 and "支付成功" in done.text and "返回商户" in done.text
    assert shop.query("FINE20260001").json()["trade_state"] == "SUCCESS"
    assert merchant.wait(1)[0].verified == "ok"
    missing = shop.client.get("/pay/wx00000000000000000000000000000000")
    assert missing.status_code == 404 and "没有这笔支付" in missing.text


# -- notification delivery ----------------------------------------------------------------------


@pytest.mark.slow
def test_failed_deliveries_are_retried_on_wechats_schedule(
    shop: Merchant, merchant: FakeMerchant
) -> None:
    merchant.script = [500, 404, 200]  # 200 also ends it (WeChat accepts 200 or 204)
    paid(shop, merchant)
    received = merchant.wait(3)
    assert [r.verified for r in received] == ["ok"] * 3
    assert len({json.loads(r.body)["id"] for r in received}) == 1  # one notification, retried
    assert len({r.headers["wechatpay-nonce"] for r in received}) == 3  # signed afresh each time
    time.sleep(0.1)
    (note,) = shop.client.get("/sandbox/pay/notifications").json()["items"]
    assert [a["status_code"] for a in note["attempts"]] == [500, 404, 200]
    assert note["status"] == "delivered"
    assert RETRY_SCHEDULE_SECONDS == (
        15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("pay_settings", [{"wechatpay_retry_scale": 0.00001}])
def test_a_merchant_that_never_answers_gets_sixteen_attempts(
    shop: Merchant, merchant: FakeMerchant
) -> None:
    merchant.default = 503
    paid(shop, merchant)
    merchant.wait(16)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        (note,) = shop.client.get("/sandbox/pay/notifications").json()["items"]
        if note["status"] == "failed":
            break
        time.sleep(0.02)
    assert note["status"] == "failed" and len(note["attempts"]) == 16
    # An unreachable merchant is recorded with the error.
    shop.client.put("/sandbox/pay/knobs", json={})
    prepay = shop.create("FINE20260002", "http://127.0.0.1:9/notify").json()["prepay_id"]
    shop.client.post(f"/sandbox/pay/{prepay}/confirm")
    time.sleep(0.3)
    notes = shop.client.get("/sandbox/pay/notifications", params={"out_trade_no": "FINE20260002"})
    attempt = notes.json()["items"][0]["attempts"][0]
    assert attempt["status_code"] is None and "ConnectError" in attempt["error"]


@pytest.mark.slow
def test_knobs_drop_and_duplicate(shop: Merchant, merchant: FakeMerchant) -> None:
    assert shop.client.get("/sandbox/pay/knobs").json()["drop"] is False
    assert shop.client.put("/sandbox/pay/knobs", json={"drop": True}).json()["drop"] is True
    paid(shop, merchant, "FINE20260001")
    time.sleep(0.2)
    assert merchant.received == []
    (note,) = shop.client.get("/sandbox/pay/notifications").json()["items"]
    assert note["status"] == "dropped" and note["attempts"] == []
    # The payment happened all the same: the merchant finds it by querying (reconciliation).
    assert shop.query("FINE20260001").json()["trade_state"] == "SUCCESS"

    shop.client.put("/sandbox/pay/knobs", json={"duplicate": 20})
    paid(shop, merchant, "FINE20260002")
    received = merchant.wait(20)
    assert len(received) == 20 and {r.verified for r in received} == {"ok"}
    assert len({json.loads(r.body)["id"] for r in received}) == 1
    # The held-back notification can be delivered later, as many times as wanted.
    dropped = note["id"]
    shop.client.put("/sandbox/pay/knobs", json={})
    assert (
        shop.client.post(
            f"/sandbox/pay/notifications/{dropped}/resend", json={"copies": 2}
        ).status_code
        == 200
    )
    received = merchant.wait(22)
    assert [json.loads(r.body)["id"] for r in received[20:]] == [dropped, dropped]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("corrupt", "refusal"),
    [
        ("signature", "InvalidSignature"),
        ("timestamp", "StaleTimestamp"),
        ("ciphertext", "DecryptionFailed"),
        ("amount", "ok"),
    ],
)
def test_corrupt_notifications(
    shop: Merchant, merchant: FakeMerchant, corrupt: str, refusal: str
) -> None:
    merchant.default = 401  # the merchant refuses: WeChat retries
    shop.client.put("/sandbox/pay/knobs", json={"corrupt": corrupt})
    paid(shop, merchant)
    first, second = merchant.wait(2)
    assert first.verified == second.verified == refusal
    if corrupt == "amount":
        # Validly signed and encrypted, but not what the order says: the merchant must compare.
        assert first.plaintext["amount"]["total"] == 20100
        assert shop.query("FINE20260001").json()["amount"]["total"] == 20000


@pytest.mark.slow
def test_delay_and_reorder(shop: Merchant, merchant: FakeMerchant) -> None:
    shop.client.put("/sandbox/pay/knobs", json={"delay_seconds": 0.5})
    started = time.monotonic()
    paid(shop, merchant, "FINE20260001")
    merchant.wait(1)
    assert time.monotonic() - started >= 0.45

    shop.client.put("/sandbox/pay/knobs", json={"reorder": True, "reorder_window_seconds": 60})
    for n in (2, 3, 4):
        paid(shop, merchant, f"FINE2026000{n}")
    time.sleep(0.2)
    assert len(merchant.received) == 1
    held = shop.client.get("/sandbox/pay/notifications").json()["items"][1:]
    assert {n["status"] for n in held} == {"held"}
    released = shop.client.post("/sandbox/pay/notifications/release").json()["released"]
    assert released == [n["id"] for n in reversed(held)]
    received = merchant.wait(4)
    assert [r.plaintext["out_trade_no"] for r in received[1:]] == [
        "FINE20260004", "FINE20260003", "FINE20260002"
    ]  # fmt: skip

    # Without an explicit release, the window lets them go by itself, newest first.
    # A window long enough for both payments to be held even on a busy machine.
    shop.client.put("/sandbox/pay/knobs", json={"reorder": True, "reorder_window_seconds": 2})
    for n in (5, 6):
        paid(shop, merchant, f"FINE2026000{n}")
    received = merchant.wait(6)
    assert [r.plaintext["out_trade_no"] for r in received[4:]] == ["FINE20260006", "FINE20260005"]


# -- refunds and bills --------------------------------------------------------------------------


@pytest.mark.slow
def test_refunds_are_idempotent_and_never_exceed_the_payment(
    shop: Merchant, merchant: FakeMerchant
) -> None:
    error(shop.refund("RF1", 5000), 404, "RESOURCE_NOT_EXISTS")
    shop.create("FINE20260001", f"{merchant.url}/notify/pay")
    assert "未支付" in error(shop.refund("RF1", 5000), 400, "INVALID_REQUEST")
    paid(shop, merchant)
    merchant.wait(1)

    first = shop.refund("RF1", 5000, notify_url=f"{merchant.url}/notify/refund")
    assert first.status_code == 200
    refund = first.json()
    assert refund["status"] == "SUCCESS" and refund["amount"]["refund"] == 5000
    assert refund["refund_id"].startswith("50") and refund["out_trade_no"] == "FINE20260001"
    again = shop.refund("RF1", 5000, notify_url=f"{merchant.url}/notify/refund")
    assert again.json() == refund  # the same refund, not a second one
    assert "不一致" in error(shop.refund("RF1", 6000), 400, "INVALID_REQUEST")
    assert "超过" in error(shop.refund("RF2", 15001), 400, "INVALID_REQUEST")
    error(shop.refund("RF2", 100, amount={"refund": 100, "total": 100}), 400, "PARAM_ERROR")
    by_transaction = shop.refund(
        "RF2", 15000, out_trade_no=None, transaction_id=refund["transaction_id"]
    )
    assert by_transaction.json()["amount"]["refund"] == 15000
    error(shop.refund("RF3", 1), 400, "INVALID_REQUEST")  # nothing left

    assert shop.call("GET", "/v3/refund/domestic/refunds/RF1").json() == refund
    error(shop.call("GET", "/v3/refund/domestic/refunds/RF9"), 404, "RESOURCE_NOT_EXISTS")
    order = shop.query("FINE20260001").json()
    assert order["trade_state"] == "REFUND" and order["trade_state_desc"] == "转入退款"

    # One REFUND.SUCCESS notification (RF1 asked for one, RF2 did not).
    received = merchant.wait(2)
    note = received[1]
    envelope = json.loads(note.body)
    assert note.verified == "ok" and envelope["event_type"] == "REFUND.SUCCESS"
    assert envelope["summary"] == "退款成功"
    assert envelope["resource"]["original_type"] == envelope["resource"]["associated_data"]
    assert envelope["resource"]["associated_data"] == "refund"
    assert note.plaintext["refund_status"] == "SUCCESS"
    assert note.plaintext["out_refund_no"] == "RF1" and note.plaintext["amount"]["refund"] == 5000
    time.sleep(0.1)
    assert len(merchant.received) == 2


@pytest.mark.slow
@pytest.mark.parametrize("pay_settings", [{"wechatpay_refund_processing_seconds": 0.3}])
def test_a_refund_can_be_processing_first(shop: Merchant, merchant: FakeMerchant) -> None:
    paid(shop, merchant)
    refund = shop.refund("RF1", 20000, notify_url=f"{merchant.url}/notify/refund").json()
    assert refund["status"] == "PROCESSING" and "success_time" not in refund
    received = merchant.wait(2)
    assert received[1].plaintext["refund_status"] == "SUCCESS"
    assert shop.call("GET", "/v3/refund/domestic/refunds/RF1").json()["status"] == "SUCCESS"


@pytest.mark.slow
def test_the_trade_bill(shop: Merchant, merchant: FakeMerchant, keys: DevKeySet) -> None:
    today = datetime.now(CHINA).strftime("%Y-%m-%d")
    url = f"/v3/bill/tradebill?bill_date={today}&bill_type=ALL"
    error(shop.call("GET", url), 400, "NO_STATEMENT_EXIST")
    error(shop.call("GET", "/v3/bill/tradebill?bill_date=2026-13-01"), 400, "PARAM_ERROR")
    error(shop.call("GET", "/v3/bill/tradebill?bill_date=2999-01-01"), 400, "PARAM_ERROR")
    paid(shop, merchant, "FINE20260001")
    paid(shop, merchant, "FINE20260002")
    shop.create("FINE20260003", f"{merchant.url}/notify/pay")  # unpaid: not in the bill
    shop.refund("RF1", 5000)

    applied = shop.call("GET", url).json()
    assert applied["hash_type"] == "SHA1"
    download = applied["download_url"]
    assert download.startswith("http://testserver/v3/billdownload/file?token=")
    path = download.removeprefix("http://testserver")
    unsigned = shop.client.get(path)
    assert unsigned.status_code == 401
    content = shop.call("GET", path)
    assert content.status_code == 200
    assert hashlib.sha1(content.content).hexdigest() == applied["hash_value"]
    lines = content.content.decode().splitlines()
    assert lines[0].startswith("交易时间,公众账号ID,商户号") and lines[0].endswith("费率备注")
    rows = [line.split(",") for line in lines[1:4]]
    assert all(value.startswith("`") for row in rows for value in row)
    assert [row[9] for row in rows] == ["`SUCCESS", "`SUCCESS", "`REFUND"]
    assert [row[6] for row in rows] == ["`FINE20260001", "`FINE20260002", "`FINE20260001"]
    assert rows[0][12] == "`200.00" and rows[2][16] == "`50.00" and rows[2][15] == "`RF1"
    assert lines[4].startswith("总交易单数,应结订单总金额,退款总金额")
    assert lines[5].split(",")[:3] == ["`3", "`400.00", "`50.00"]

    success_only = shop.call("GET", f"/v3/bill/tradebill?bill_date={today}&bill_type=SUCCESS")
    gz = shop.call(
        "GET", f"/v3/bill/tradebill?bill_date={today}&bill_type=SUCCESS&tar_type=GZIP"
    ).json()
    packed = shop.call("GET", gz["download_url"].removeprefix("http://testserver")).content
    unpacked = gzip.decompress(packed)
    assert hashlib.sha1(unpacked).hexdigest() == gz["hash_value"]
    assert success_only.json()["hash_value"] == gz["hash_value"]
    assert b"REFUND" not in unpacked


# -- settings -----------------------------------------------------------------------------------


def test_settings_outside_dev(keys: DevKeySet) -> None:
    prod = SharedSettings(env="prod", internal_token_secret="x" * 32)
    off = SandboxSettings(shared=prod)
    assert not off.wechatpay_enabled and off.wechatpay_allow_http_notify_url is False
    with pytest.raises(ValueError, match="SANDBOX_WECHATPAY_APIV3_KEY"):
        SandboxSettings(shared=prod, wechatpay_mchid="1900000109")
    full = SandboxSettings(
        shared=prod,
        wechatpay_mchid=keys.mchid,
        wechatpay_appid=keys.appid,
        wechatpay_merchant_public_key_path=str(keys.path("merchant_public_key")),
        wechatpay_platform_private_key_path=str(keys.path("platform_private_key")),
        wechatpay_platform_public_key_id=keys.platform_public_key_id,
        wechatpay_apiv3_key=keys.apiv3_key,
    )
    assert full.wechatpay_enabled
    with TestClient(create_app(off)) as client:
        answer = client.post("/v3/pay/transactions/jsapi", json={})
        assert answer.status_code == 503 and answer.json()["code"] == "SYSTEM_ERROR"
    with TestClient(create_app(full)) as client:
        shop = Merchant(client, keys)
        notify = "http://traffic.example/notify"  # http only in dev
        error(shop.create("FINE20260001", notify), 400, "PARAM_ERROR")
        assert shop.create("FINE20260001", "https://traffic.example/notify").status_code == 200


# -- the independent peer: wechatpayv3 ---------------------------------------------------------


def _wechatpayv3(keys: DevKeySet, notify_url: str) -> WeChatPay:
    """wechatpayv3 in public-key mode (no network at start: no certificate download)."""
    return WeChatPay(
        wechatpay_type=WeChatPayType.JSAPI,
        mchid=keys.mchid,
        private_key=keys.path("merchant_private_key").read_text(),
        cert_serial_no=keys.merchant_serial_no,
        appid=keys.appid,
        apiv3_key=keys.apiv3_key,
        notify_url=notify_url,
        public_key=keys.path("platform_public_key").read_text(),
        public_key_id=keys.platform_public_key_id,
        proxy={"http": None, "https": None},
        timeout=(5, 10),
    )


@pytest.mark.slow
def test_wechatpayv3_verifies_and_decrypts_notifications(
    shop: Merchant, merchant: FakeMerchant, keys: DevKeySet
) -> None:
    paid(shop, merchant)
    refund = shop.refund("RF1", 5000, notify_url=f"{merchant.url}/notify/refund").json()
    payment, refunded = merchant.wait(2)
    peer = _wechatpayv3(keys, f"{merchant.url}/notify/pay")
    for note, event_type in ((payment, "TRANSACTION.SUCCESS"), (refunded, "REFUND.SUCCESS")):
        result = peer.callback(note.headers, note.body)
        assert result is not None, "wechatpayv3 refused the sandbox's notification"
        assert result["event_type"] == event_type and result["resource"] == note.plaintext
    assert refunded.plaintext["refund_id"] == refund["refund_id"]
    # Its helpers directly, too; and a tampered body does not pass.
    public = peer._core._public_key
    h = payment.headers
    assert rsa_verify(
        h["wechatpay-timestamp"],
        h["wechatpay-nonce"],
        payment.body,
        h["wechatpay-signature"],
        public,
    )
    assert peer.callback(h, payment.body.replace("支付成功", "支付失败")) is None
    resource = json.loads(payment.body)["resource"]
    plaintext = aes_decrypt(
        resource["nonce"], resource["ciphertext"], resource["associated_data"], keys.apiv3_key
    )
    assert json.loads(plaintext) == payment.plaintext


@pytest.mark.slow
def test_wechatpayv3_as_the_merchants_client(
    keys: DevKeySet, merchant: FakeMerchant, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """wechatpayv3 signs its requests its own way and verifies every answer's signature
    (it raises on a bad one): the sandbox and an independent client agree on the protocol."""
    with serve_in_thread(create_app(make_settings(keys))) as url:
        peer = _wechatpayv3(keys, f"{merchant.url}/notify/pay")
        peer._core._gate_way = url  # its base URL is a private attribute (see the reference)
        openid = demo_citizen("lisi").openid(keys.appid)
        code, message = peer.pay(
            description="交通违法罚款",
            out_trade_no="FINE20260001",
            amount={"total": 10000},
            payer={"openid": openid},
        )
        assert code == 200, message
        prepay_id = json.loads(message)["prepay_id"]
        code, message = peer.query(out_trade_no="FINE20260001")
        assert code == 200 and json.loads(message)["trade_state"] == "NOTPAY"
        page = httpx.get(f"{url}/pay/{prepay_id}", trust_env=False)
        assert "李四" in page.text and "100.00" in page.text
        httpx.post(f"{url}/sandbox/pay/{prepay_id}/confirm", trust_env=False).raise_for_status()
        (note,) = merchant.wait(1)
        assert peer.callback(note.headers, note.body)["resource"]["trade_state"] == "SUCCESS"
        code, message = peer.query(transaction_id=note.plaintext["transaction_id"])
        assert code == 200 and json.loads(message)["trade_state"] == "SUCCESS"
        code, message = peer.refund(
            out_refund_no="RF1", amount={"refund": 10000, "total": 10000, "currency": "CNY"},
            out_trade_no="FINE20260001",
        )  # fmt: skip
        assert code == 200 and json.loads(message)["status"] == "SUCCESS"
        code, message = peer.query_refund(out_refund_no="RF1")
        assert code == 200
        code, message = peer.pay(
            description="交通违法罚款",
            out_trade_no="FINE20260002",
            amount={"total": 10000},
            payer={"openid": openid},
        )
        code, message = peer.close(out_trade_no="FINE20260002")
        assert code == 204  # an empty, signed answer it verified
        today = datetime.now(CHINA).strftime("%Y-%m-%d")
        code, message = peer.trade_bill(bill_date=today)
        assert code == 200
        applied = json.loads(message)
        code, content = peer.download_bill(applied["download_url"])
        assert code == 200
        assert hashlib.sha1(gzip.decompress(content)).hexdigest() == applied["hash_value"]
        # A refusal is signed too and comes back as WeChat's JSON.
        code, message = peer.query(out_trade_no="NOSUCHORDER1")
        assert code == 404 and json.loads(message)["code"] == "ORDER_NOT_EXIST"
