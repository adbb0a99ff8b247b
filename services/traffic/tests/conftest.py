"""Fixtures of the traffic tests: apps on seeded databases, with a clock the test controls.

The population is seeded once per session, anchored on `ANCHOR`, into a template database that
each test copies; "now" is `ANCHOR` at noon in Dongguan unless a test moves the clock.
"""

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from servicekit.clock import SHANGHAI, current_time
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, serve_in_thread
from traffic.main import create_app
from traffic.population import DEMO_PEOPLE
from traffic.seed import seed_at
from traffic.settings import TrafficSettings
from wechat import pay as wechatpay
from wechat.pay_dev import DevKeySet, ensure_dev_keys

ANCHOR = date(2026, 6, 15)
CITIZENS = {p.citizen.id: p.citizen.citizen_id for p in DEMO_PEOPLE}


def seed_at_test_anchor(session: Session) -> str:
    """The full seed, anchored on the tests' fixed day."""
    return seed_at(session, anchor=ANCHOR)


@dataclass
class Clock:
    """The "now" the app sees; tests move it."""

    now: datetime

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def to_day(self, day: date) -> None:
        self.now = datetime.combine(day, self.now.timetz())


@pytest.fixture
def service_package() -> str:
    return "traffic"


@pytest.fixture
def service_seed() -> Callable[[Session], str]:
    return seed_at_test_anchor


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, 12, tzinfo=SHANGHAI))


@pytest.fixture
def make_client(
    seeded_database_url: str, clock: Clock, pay_keys: DevKeySet, fake_pay: "FakeWechatPay"
) -> Iterator[Callable[..., TestClient]]:
    """Build clients on this test's seeded database, with settings overridden as given.

    WeChat Pay is the fake provider of this test session, with the session's key set.
    """
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        # No notice loop unless a test asks for one: nothing may post to a gateway it did not start.
        values = {
            **wechatpay_settings(pay_keys, fake_pay.base_url),
            "payment_notice_every_seconds": 0,
            **overrides,
        }
        settings = TrafficSettings(
            database_url=seeded_database_url, shared=SharedSettings(env="dev"), **values
        )
        app = create_app(settings)
        app.dependency_overrides[current_time] = lambda: clock.now.astimezone(UTC)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def anchor() -> date:
    """The day the test population is anchored on (and "today" until the clock moves)."""
    return ANCHOR


@pytest.fixture
def headers_of() -> Callable[[str], dict[str, str]]:
    """Headers of a demo citizen by key (zhangsan...) or of any citizen id, as the gateway
    sends them."""

    def headers(key: str) -> dict[str, str]:
        return mint_token("traffic", CITIZENS.get(key, key))

    return headers


# WeChat Pay: a small fake provider built on wechat.pay's platform-side helpers,
# served in a thread, so the service's real client code speaks the real protocol to it.


class FakeWechatPay:
    """Just enough of WeChat Pay v3 to pay fines: orders, query, close, refunds, trade bill.

    It verifies the merchant's signatures and signs its answers with the platform key. Tests
    move money with `pay()` and build notifications with `notification()`; knobs make it
    unreachable or sign with the wrong key.
    """

    def __init__(self, keys: DevKeySet) -> None:
        self.keys = keys
        self.merchant_public = wechatpay.load_public_key(
            keys.path("merchant_public_key").read_bytes()
        )
        self.platform_private = wechatpay.load_private_key(
            keys.path("platform_private_key").read_bytes()
        )
        self.base_url = ""
        self.reset()
        self.app = Starlette(
            routes=[
                Route("/v3/pay/transactions/jsapi", self._jsapi, methods=["POST"]),
                Route(
                    "/v3/pay/transactions/out-trade-no/{no}/close", self._close, methods=["POST"]
                ),
                Route("/v3/pay/transactions/out-trade-no/{no}", self._query, methods=["GET"]),
                Route("/v3/refund/domestic/refunds", self._refund, methods=["POST"]),
                Route("/v3/refund/domestic/refunds/{no}", self._refund_query, methods=["GET"]),
                Route("/v3/bill/tradebill", self._tradebill, methods=["GET"]),
                Route("/v3/billdownload/file", self._billfile, methods=["GET"]),
            ]
        )

    def reset(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.unavailable = False
        self.wrong_signature = False
        self.refunds_succeed_at_once = False

    # The protocol.

    def _answer(self, status: int, payload: Any = None, *, text: str | None = None) -> Response:
        body = text if text is not None else ("" if payload is None else json.dumps(payload))
        key = self.platform_private
        if self.wrong_signature:
            key = wechatpay.load_private_key(self.keys.path("merchant_private_key").read_bytes())
        headers = (
            wechatpay.signed_headers(key, serial=self.keys.platform_public_key_id, body=body)
            if body
            else {}
        )
        media = "text/plain" if text is not None else "application/json"
        return Response(body or None, status_code=status, headers=headers, media_type=media)

    async def _verified(self, request: Request) -> str | Response:
        body = (await request.body()).decode()
        self.calls.append((request.method, request.url.path))
        if self.unavailable:
            return Response(status_code=503)
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            wechatpay.verify_request(
                self.merchant_public,
                header=request.headers.get("authorization", ""),
                method=request.method,
                url=url,
                body=body,
            )
        except wechatpay.WechatPayError as exc:
            return self._answer(401, {"code": "SIGN_ERROR", "message": str(exc)})
        return body

    async def _jsapi(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        order = json.loads(body)
        if order["mchid"] != self.keys.mchid or order["appid"] != self.keys.appid:
            return self._answer(400, {"code": "PARAM_ERROR", "message": "appid/mchid"})
        no = order["out_trade_no"]
        if no in self.orders:
            return self._answer(200, {"prepay_id": self.orders[no]["prepay_id"]})
        self.orders[no] = {
            **order,
            "prepay_id": "wx" + secrets.token_hex(15),
            "trade_state": "NOTPAY",
            "refunded": 0,
        }
        return self._answer(200, {"prepay_id": self.orders[no]["prepay_id"]})

    async def _query(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        no = request.path_params["no"]
        if no not in self.orders:
            return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return self._answer(200, self.transaction(no))

    async def _close(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        order = self.orders.get(request.path_params["no"])
        if order is None:
            return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if order["trade_state"] == "SUCCESS":
            return self._answer(400, {"code": "ORDERPAID", "message": "订单已支付"})
        order["trade_state"] = "CLOSED"
        return Response(status_code=204)

    async def _refund(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        ask = json.loads(body)
        if ask["out_refund_no"] in self.refunds:
            return self._answer(200, self.refunds[ask["out_refund_no"]])
        order = self.orders.get(ask["out_trade_no"])
        if order is None or order["trade_state"] not in ("SUCCESS", "REFUND"):
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "订单未支付"})
        amount = ask["amount"]["refund"]
        if order["refunded"] + amount > order["amount"]["total"]:
            return self._answer(403, {"code": "NOT_ENOUGH", "message": "可退金额不足"})
        order["refunded"] += amount
        order["trade_state"] = "REFUND"
        refund = {
            "refund_id": "50" + secrets.token_hex(14),
            "out_refund_no": ask["out_refund_no"],
            "out_trade_no": ask["out_trade_no"],
            "transaction_id": order.get("transaction_id"),
            "status": "SUCCESS" if self.refunds_succeed_at_once else "PROCESSING",
            "amount": {"refund": amount, "total": order["amount"]["total"], "currency": "CNY"},
        }
        self.refunds[ask["out_refund_no"]] = refund
        return self._answer(200, refund)

    async def _refund_query(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        refund = self.refunds.get(request.path_params["no"])
        if refund is None:
            return self._answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
        return self._answer(200, refund)

    async def _tradebill(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        bill = self.bill(request.query_params["bill_date"]).encode()
        return self._answer(
            200,
            {
                "hash_type": "SHA1",
                "hash_value": hashlib.sha1(bill).hexdigest(),
                "download_url": f"{str(request.base_url).rstrip('/')}/v3/billdownload/file"
                f"?token={request.query_params['bill_date']}",
            },
        )

    async def _billfile(self, request: Request) -> Response:
        body = await self._verified(request)
        if isinstance(body, Response):
            return body
        return Response(self.bill(request.query_params["token"]), media_type="text/plain")

    # What tests do with it.

    def pay(self, out_trade_no: str, *, total: int | None = None) -> dict[str, Any]:
        """The payer pays the order (no notification is sent: tests send it, or don't)."""
        order = self.orders[out_trade_no]
        order["trade_state"] = "SUCCESS"
        order["transaction_id"] = "42000" + secrets.token_hex(12)[:23]
        order["success_time"] = datetime.now(SHANGHAI).replace(microsecond=0).isoformat()
        if total is not None:
            order["paid_total"] = total
        return self.transaction(out_trade_no)

    def transaction(self, out_trade_no: str) -> dict[str, Any]:
        order = self.orders[out_trade_no]
        total = order.get("paid_total", order["amount"]["total"])
        value = {
            "appid": order["appid"],
            "mchid": order["mchid"],
            "out_trade_no": out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": order["trade_state"],
            "trade_state_desc": order["trade_state"],
            "payer": {"openid": order["payer"]["openid"]},
            "amount": {"total": total, "payer_total": total, "currency": "CNY"},
        }
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            value["transaction_id"] = order["transaction_id"]
            value["success_time"] = order["success_time"]
            value["bank_type"] = "OTHERS"
        return value

    def bill(self, bill_date: str) -> str:
        """A trade bill with the paid orders (as WeChat writes it: backticked fields)."""
        lines = [
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
            "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
            "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
            "费率备注"
        ]
        paid = [
            o
            for o in self.orders.values()
            if "transaction_id" in o and o["success_time"].startswith(bill_date)
        ]
        for o in paid:
            total = o.get("paid_total", o["amount"]["total"])
            yuan = f"{total / 100:.2f}"
            fields = [
                o["success_time"].replace("T", " ")[:19], o["appid"], o["mchid"], "0", "",
                o["transaction_id"], o["out_trade_no"], o["payer"]["openid"], "JSAPI", "SUCCESS",
                "OTHERS", "CNY", yuan, "0.00", "0", "0", "0.00", "0.00", "", "",
                o["description"], "", "0.00000", "0.60%", yuan, "0.00", "",
            ]  # fmt: skip
            lines.append(",".join(f"`{f}" for f in fields))
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额"
        )
        lines.append(f"`{len(paid)},`0.00,`0.00,`0.00,`0.00000,`0.00")
        return "\n".join(lines) + "\n"

    def notification(
        self,
        out_trade_no: str | None = None,
        *,
        resource: dict[str, Any] | None = None,
        event_type: str = "TRANSACTION.SUCCESS",
        total: int | None = None,
        age_seconds: int = 0,
        bad_signature: bool = False,
    ) -> tuple[str, dict[str, str]]:
        """The body and headers of a signed, encrypted notification."""
        plain = dict(resource) if resource is not None else self.transaction(str(out_trade_no))
        if total is not None:
            plain["amount"] = {**plain["amount"], "total": total, "payer_total": total}
        original = "refund" if event_type.startswith("REFUND.") else "transaction"
        body = json.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": datetime.now(SHANGHAI).replace(microsecond=0).isoformat(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": "支付成功" if original == "transaction" else "退款成功",
                "resource": {
                    "original_type": original,
                    **wechatpay.encrypt_resource(
                        self.keys.apiv3_key,
                        json.dumps(plain, ensure_ascii=False),
                        associated_data=original,
                    ),
                },
            },
            ensure_ascii=False,
        )
        stamp = str(int(time.time()) - age_seconds)
        nonce_str = secrets.token_hex(16)
        key = self.platform_private
        if bad_signature:
            key = wechatpay.load_private_key(self.keys.path("merchant_private_key").read_bytes())
        headers = {
            "Content-Type": "application/json",
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce_str,
            "Wechatpay-Signature": wechatpay.sign(
                key, wechatpay.response_message(stamp, nonce_str, body)
            ),
            "Wechatpay-Serial": self.keys.platform_public_key_id,
        }
        return body, headers

    def refund_notification(self, out_refund_no: str, status: str = "SUCCESS") -> tuple[str, dict]:
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        resource = {
            "mchid": self.keys.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": status,
            "success_time": datetime.now(SHANGHAI).replace(microsecond=0).isoformat(),
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["total"],
                "payer_refund": refund["amount"]["refund"],
            },
        }
        return self.notification(resource=resource, event_type=f"REFUND.{status}")


@pytest.fixture(scope="session")
def pay_keys(tmp_path_factory: pytest.TempPathFactory) -> DevKeySet:
    """A WeChat Pay key set of the test session (never the repository's var/keys)."""
    return ensure_dev_keys(tmp_path_factory.mktemp("wechatpay-keys"))


@pytest.fixture(scope="session")
def fake_pay_server(pay_keys: DevKeySet) -> Iterator[FakeWechatPay]:
    fake = FakeWechatPay(pay_keys)
    with serve_in_thread(fake.app) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def fake_pay(fake_pay_server: FakeWechatPay) -> FakeWechatPay:
    """The fake provider, emptied for this test."""
    fake_pay_server.reset()
    return fake_pay_server


def wechatpay_settings(keys: DevKeySet, base_url: str) -> dict[str, str]:
    """The TRAFFIC_WECHATPAY_* settings of a key set, against a provider at `base_url`."""
    return {
        "wechatpay_base_url": base_url,
        "wechatpay_appid": keys.appid,
        "wechatpay_mchid": keys.mchid,
        "wechatpay_merchant_serial_no": keys.merchant_serial_no,
        "wechatpay_merchant_private_key_path": str(keys.path("merchant_private_key")),
        "wechatpay_apiv3_key": keys.apiv3_key,
        "wechatpay_platform_public_key_path": str(keys.path("platform_public_key")),
        "wechatpay_platform_public_key_id": keys.platform_public_key_id,
        "payment_notify_url": "http://127.0.0.1:8000/api/v1/traffic/payments/notify/wechatpay",
    }
