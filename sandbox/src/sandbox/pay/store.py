"""The simulated WeChat Pay platform's memory and rules: orders, payments, refunds, bills.

Like the rest of the sandbox it lives in one process: handlers are `async def` and call these
methods without awaiting in between, so no two requests interleave inside a rule. Business
times (order creation, expiry, success_time) follow the sandbox's clock; signature timestamps
are real time, as the merchant's clock is.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sandbox.clock import Clock
from sandbox.pay import errors
from sandbox.pay.errors import PayError
from sandbox.pay.knobs import Knobs
from sandbox.pay.model import PAID_STATES, Order, Refund, new_prepay_id, new_refund_id
from sandbox.pay.model import new_transaction_id as _new_transaction_id
from sandbox.pay.notify import Notifier
from sandbox.pay.protocol import refund_notification, transaction
from sandbox.settings import SandboxSettings
from servicekit.money import yuan
from wechat import pay as wechatpay

FEE_RATE = Decimal("0.006")  # 0.60%, the common rate, shown in the bill
T = TypeVar("T")


@dataclass(frozen=True)
class Bill:
    """A trade bill, kept for its download token."""

    bill_date: str
    bill_type: str
    tar_type: str | None
    content: bytes  # the CSV, UTF-8

    @property
    def sha1(self) -> str:
        """SHA1 of the bill itself (before any gzip), as `hash_value` carries it."""
        return hashlib.sha1(self.content).hexdigest()

    def download(self) -> bytes:
        """What the download URL serves (gzipped with tar_type=GZIP)."""
        return gzip.compress(self.content) if self.tar_type == "GZIP" else self.content


class PayState:
    """The simulated platform of one merchant (mchid + appid) and its orders."""

    def __init__(self, settings: SandboxSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.enabled = settings.wechatpay_enabled
        self.mchid = settings.wechatpay_mchid
        self.appid = settings.wechatpay_appid
        self.merchant_serial_no = settings.wechatpay_merchant_serial_no
        self.platform_public_key_id = settings.wechatpay_platform_public_key_id
        self.allow_http = bool(settings.wechatpay_allow_http_notify_url)
        self.knobs = Knobs(
            drop=settings.wechatpay_drop,
            duplicate=settings.wechatpay_duplicate,
            delay_seconds=settings.wechatpay_delay_seconds,
            reorder=settings.wechatpay_reorder,
            reorder_window_seconds=settings.wechatpay_reorder_window_seconds,
            corrupt=settings.wechatpay_corrupt,
        )
        self.orders: dict[str, Order] = {}
        self.prepays: dict[str, tuple[str, float]] = {}  # prepay_id -> (out_trade_no, expiry)
        self.by_transaction_id: dict[str, str] = {}
        self.refunds: dict[str, Refund] = {}
        self.bills: dict[str, Bill] = {}
        if not self.enabled:
            return
        self.merchant_public_key = wechatpay.load_public_key(
            Path(settings.wechatpay_merchant_public_key_path).read_bytes()
        )
        self.platform_private_key = wechatpay.load_private_key(
            Path(settings.wechatpay_platform_private_key_path).read_bytes()
        )
        self.notifier = Notifier(settings, self.platform_private_key, clock.now)

    async def close(self) -> None:
        """Stop every delivery (the sandbox is stopping)."""
        if self.enabled:
            await self.notifier.close()

    # -- merchant authentication ----------------------------------------------------------

    def authenticate(self, header: str | None, *, method: str, url: str, body: str) -> None:
        """Check the merchant's `Authorization`; 401 SIGN_ERROR when it does not verify."""
        if not header:
            raise errors.sign_error("缺少Authorization请求头，请使用商户API私钥签名")
        try:
            auth = wechatpay.verify_request(
                self.merchant_public_key, header=header, method=method, url=url, body=body
            )
        except wechatpay.StaleTimestamp as exc:
            raise errors.sign_error("请求的时间戳与当前时间相差超过5分钟") from exc
        except wechatpay.InvalidSignature as exc:
            raise errors.sign_error() from exc
        if auth.mchid != self.mchid:
            raise errors.sign_error("Authorization中的商户号与签名不匹配")
        if self.merchant_serial_no and auth.serial_no != self.merchant_serial_no:
            raise errors.sign_error("商户证书序列号有误，请使用签名私钥匹配的证书序列号")

    def check_mchid(self, mchid: str | None) -> None:
        """The `mchid` of a query: present and this merchant's."""
        if not mchid:
            raise errors.param_error("缺少参数mchid")
        if mchid != self.mchid:
            raise PayError(400, errors.MCH_NOT_EXISTS, "商户号不存在")

    # -- orders ---------------------------------------------------------------------------

    def _refresh(self, order: Order) -> Order:
        """Close an unpaid order whose time_expire has passed."""
        if (
            order.trade_state in ("NOTPAY", "PAYERROR")
            and order.time_expire is not None
            and self.clock.now() >= order.time_expire
        ):
            order.trade_state = "CLOSED"
            order.closed_at = order.time_expire
            self._event(order, "expired", "订单超过time_expire未支付，已关闭")
        return order

    def _event(self, order: Order, kind: str, text: str) -> None:
        order.events.append({"at": self.clock.now(), "kind": kind, "text": text})

    def create_jsapi(self, fields: dict[str, Any]) -> Order:
        """A new order, or the same one for the same parameters (a fresh prepay_id once the
        previous one expired)."""
        now = self.clock.now()
        params = {k: v for k, v in fields.items() if k != "notify_url"}
        existing = self.orders.get(fields["out_trade_no"])
        if existing is not None:
            order = self._refresh(existing)
            if order.trade_state in PAID_STATES:
                raise PayError(400, errors.ORDERPAID, "该订单已支付")
            if order.trade_state == "CLOSED":
                raise PayError(400, errors.ORDER_CLOSED, "该订单已关闭")
            if order.params != params:
                raise PayError(400, errors.INVALID_REQUEST, "201 商户订单号重复")
            order.notify_url = fields["notify_url"]
            if order.prepay_expires_at <= now:
                self._new_prepay(order, now)
            return order
        order = Order(
            appid=fields["appid"],
            mchid=fields["mchid"],
            out_trade_no=fields["out_trade_no"],
            description=fields["description"],
            notify_url=fields["notify_url"],
            total=fields["total"],
            currency=fields["currency"],
            openid=fields["openid"],
            attach=fields["attach"],
            time_expire=fields["time_expire"],
            params=params,
            created_at=now,
            prepay_id="",
            prepay_expires_at=0.0,
        )
        self.orders[order.out_trade_no] = order
        self._new_prepay(order, now)
        self._event(order, "created", "商户下单（JSAPI）")
        return order

    def _new_prepay(self, order: Order, now: float) -> None:
        expiry = now + self.settings.wechatpay_prepay_ttl_seconds
        order.prepay_id = new_prepay_id(now)
        order.prepay_expires_at = expiry
        self.prepays[order.prepay_id] = (order.out_trade_no, expiry)

    def order(self, out_trade_no: str) -> Order:
        """The order with this out_trade_no; 404 ORDER_NOT_EXIST."""
        return self._refresh(
            _found(self.orders.get(out_trade_no), errors.ORDER_NOT_EXIST, "订单不存在")
        )

    def order_by_transaction_id(self, transaction_id: str) -> Order:
        """The order paid under this transaction_id; 404 ORDER_NOT_EXIST."""
        known = self.by_transaction_id.get(transaction_id)
        return self.order(_found(known, errors.ORDER_NOT_EXIST, "订单不存在"))

    def close_order(self, out_trade_no: str) -> None:
        """Close an unpaid order (closing a closed one again is harmless)."""
        order = self.order(out_trade_no)
        if order.trade_state in PAID_STATES:
            raise PayError(400, errors.ORDERPAID, "订单已支付，不能关闭")
        if order.trade_state != "CLOSED":
            order.trade_state = "CLOSED"
            order.closed_at = self.clock.now()
            self._event(order, "closed", "商户关闭订单")

    # -- the payer ------------------------------------------------------------------------

    def prepay(self, prepay_id: str) -> tuple[Order, bool]:
        """(order, whether this prepay_id is still valid) for the payer's page; KeyError when
        there is no such prepay_id."""
        out_trade_no, expiry = self.prepays[prepay_id]
        return self.order(out_trade_no), expiry > self.clock.now()

    def payable(self, prepay_id: str) -> Order:
        """The order the payer is about to pay; PayError with a Chinese reason when they can't."""
        try:
            order, valid = self.prepay(prepay_id)
        except KeyError:
            raise PayError(404, errors.NOT_FOUND, "没有这笔预支付交易") from None
        if order.trade_state in PAID_STATES:
            raise PayError(409, errors.ORDERPAID, "该订单已支付，请勿重复支付")
        if order.trade_state == "CLOSED":
            raise PayError(409, errors.ORDER_CLOSED, "该订单已关闭，无法支付")
        if not valid:
            raise PayError(409, errors.INVALID_REQUEST, "预支付交易会话已过期（2小时），请重新下单")
        return order

    def confirm(self, prepay_id: str) -> Order:
        """The payer paid: SUCCESS with a transaction_id, and the notification goes out."""
        order = self.payable(prepay_id)
        now = self.clock.now()
        order.trade_state = "SUCCESS"
        order.transaction_id = _new_transaction_id(now)
        order.success_time = now
        self.by_transaction_id[order.transaction_id] = order.out_trade_no
        self._event(order, "paid", f"付款人确认支付，微信支付订单号 {order.transaction_id}")
        self.notifier.send(
            event_type="TRANSACTION.SUCCESS",
            url=order.notify_url,
            plaintext=transaction(order),
            knobs=self.knobs,
        )
        return order

    def cancel(self, prepay_id: str) -> Order:
        """The payer closed the cashier: the order stays NOTPAY and can still be paid."""
        order = self.payable(prepay_id)
        self._event(order, "cancelled", "付款人取消支付（订单仍为未支付）")
        return order

    def fail(self, prepay_id: str) -> Order:
        """The payment failed (bank refusal): PAYERROR, no notification (WeChat sends none)."""
        order = self.payable(prepay_id)
        order.trade_state = "PAYERROR"
        self._event(order, "failed", "支付失败（模拟银行拒绝）")
        return order

    # -- refunds --------------------------------------------------------------------------

    def refund(self, fields: dict[str, Any]) -> Refund:
        """A refund, or the same one again for the same out_refund_no."""
        if fields["out_trade_no"]:
            order = self._refund_order(self.orders.get(fields["out_trade_no"]))
            if fields["transaction_id"] and fields["transaction_id"] != order.transaction_id:
                raise errors.param_error("transaction_id与out_trade_no不匹配", "/transaction_id")
        else:
            out_trade_no = self.by_transaction_id.get(fields["transaction_id"])
            order = self._refund_order(self.orders.get(out_trade_no or ""))
        params = {
            "out_trade_no": order.out_trade_no,
            "refund": fields["refund"],
            "total": fields["total"],
            "currency": fields["currency"],
        }
        existing = self.refunds.get(fields["out_refund_no"])
        if existing is not None:
            if existing.params != params:
                raise PayError(
                    400, errors.INVALID_REQUEST, "订单金额或退款金额与之前请求不一致，请核实后再试"
                )
            return self._refresh_refund(existing)
        if fields["total"] != order.total:
            raise errors.param_error("订单金额total与原订单金额不一致", "/amount/total")
        if fields["refund"] > order.refundable:
            raise PayError(400, errors.INVALID_REQUEST, "申请退款金额超过订单可退金额")
        now = self.clock.now()
        assert order.transaction_id is not None
        refund = Refund(
            refund_id=new_refund_id(),
            out_refund_no=fields["out_refund_no"],
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id,
            reason=fields["reason"],
            notify_url=fields["notify_url"],
            refund=fields["refund"],
            total=order.total,
            currency=order.currency,
            params=params,
            created_at=now,
        )
        self.refunds[refund.out_refund_no] = refund
        order.refunded += refund.refund
        order.trade_state = "REFUND"
        self._event(order, "refund", f"申请退款 {refund.refund} 分（{refund.out_refund_no}）")
        delay = self.settings.wechatpay_refund_processing_seconds
        if delay <= 0:
            self._refund_succeeded(refund)
        else:
            self.notifier.spawn(self._settle_later(refund, delay))
        return refund

    async def _settle_later(self, refund: Refund, delay: float) -> None:
        await asyncio.sleep(delay)
        self._refresh_refund(refund)

    def _refund_order(self, order: Order | None) -> Order:
        order = self._refresh(_found(order, errors.RESOURCE_NOT_EXISTS, "订单不存在"))
        if order.trade_state not in PAID_STATES:
            raise PayError(400, errors.INVALID_REQUEST, "订单未支付，不能退款")
        return order

    def refund_of(self, out_refund_no: str) -> Refund:
        """The refund with this out_refund_no; 404 RESOURCE_NOT_EXISTS."""
        refund = _found(self.refunds.get(out_refund_no), errors.RESOURCE_NOT_EXISTS, "退款单不存在")
        return self._refresh_refund(refund)

    def _refresh_refund(self, refund: Refund) -> Refund:
        delay = self.settings.wechatpay_refund_processing_seconds
        if refund.status == "PROCESSING" and self.clock.now() >= refund.created_at + delay:
            self._refund_succeeded(refund)
        return refund

    def _refund_succeeded(self, refund: Refund) -> None:
        refund.status = "SUCCESS"
        refund.success_time = max(self.clock.now(), refund.created_at)
        if refund.notify_url:
            self.notifier.send(
                event_type="REFUND.SUCCESS",
                url=refund.notify_url,
                plaintext=refund_notification(refund, self.mchid),
                knobs=self.knobs,
            )

    # -- bills ----------------------------------------------------------------------------

    def trade_bill(self, bill_date: str, bill_type: str, tar_type: str | None) -> tuple[str, Bill]:
        """(token, bill) of the day's trades (the day in China's time)."""
        try:
            day = datetime.strptime(bill_date, "%Y-%m-%d").date()
        except ValueError:
            raise errors.param_error("账单日期格式应为YYYY-MM-DD") from None
        if day > self.clock.local().date():
            raise errors.param_error("账单日期不能晚于今天")
        if bill_type not in ("ALL", "SUCCESS", "REFUND"):
            raise errors.param_error("bill_type应为ALL、SUCCESS或REFUND")
        if tar_type not in (None, "", "GZIP"):
            raise errors.param_error("tar_type仅支持GZIP")
        content = self._bill_csv(bill_date, bill_type)
        if content is None:
            raise PayError(400, errors.NO_STATEMENT_EXIST, "账单文件不存在")
        token = secrets.token_urlsafe(24)
        bill = Bill(bill_date, bill_type, tar_type or None, content)
        self.bills[token] = bill
        return token, bill

    def _bill_csv(self, bill_date: str, bill_type: str) -> bytes | None:
        rows: list[tuple[float, list[str]]] = []
        paid_total = refund_total = 0
        fee_total = Decimal(0)

        def on_day(at: float | None) -> bool:
            return at is not None and self.clock.local(at).strftime("%Y-%m-%d") == bill_date

        if bill_type in ("ALL", "SUCCESS"):
            for order in self.orders.values():
                if order.transaction_id and on_day(order.success_time):
                    assert order.success_time is not None
                    fee = _fee(order.total)
                    paid_total += order.total
                    fee_total += fee
                    rows.append((order.success_time, self._bill_row(order, None, fee)))
        if bill_type in ("ALL", "REFUND"):
            for refund in self.refunds.values():
                if refund.status == "SUCCESS" and on_day(refund.success_time):
                    assert refund.success_time is not None
                    order = self.orders[refund.out_trade_no]
                    fee = -_fee(refund.refund)
                    refund_total += refund.refund
                    fee_total += fee
                    rows.append((refund.success_time, self._bill_row(order, refund, fee)))
        if not rows:
            return None
        rows.sort(key=lambda row: row[0])
        lines = [BILL_HEADER]
        lines += [",".join("`" + value for value in row) for _, row in rows]
        lines.append(BILL_SUMMARY_HEADER)
        summary = [
            str(len(rows)),
            yuan(paid_total, grouped=False),
            yuan(refund_total, grouped=False),
            "0.00",
            f"{fee_total:.5f}",
            yuan(paid_total, grouped=False),
            yuan(refund_total, grouped=False),
        ]
        lines.append(",".join("`" + value for value in summary))
        return ("\r\n".join(lines) + "\r\n").encode()

    def _bill_row(self, order: Order, refund: Refund | None, fee: Decimal) -> list[str]:
        at = refund.success_time if refund else order.success_time
        assert at is not None and order.transaction_id is not None
        return [
            self.clock.local(at).strftime("%Y-%m-%d %H:%M:%S"),
            order.appid,
            order.mchid,
            "0",
            "",
            order.transaction_id,
            order.out_trade_no,
            order.openid,
            "JSAPI",
            "REFUND" if refund else "SUCCESS",
            "OTHERS",
            order.currency,
            "0.00" if refund else yuan(order.total, grouped=False),
            "0.00",
            refund.refund_id if refund else "0",
            refund.out_refund_no if refund else "0",
            yuan(refund.refund, grouped=False) if refund else "0.00",
            "0.00",
            "ORIGINAL" if refund else "",
            refund.status if refund else "",
            order.description,
            order.attach or "",
            f"{fee:.5f}",
            "0.60%",
            "0.00" if refund else yuan(order.total, grouped=False),
            yuan(refund.refund, grouped=False) if refund else "0.00",
            "",
        ]


BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
    "费率备注"
)
BILL_SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)


def _found(value: T | None, code: str, message: str) -> T:
    """`value`, or WeChat's 404 with `code` when there is none."""
    if value is None:
        raise PayError(404, code, message)
    return value


def _fee(fen: int) -> Decimal:
    return (Decimal(fen) * FEE_RATE / 100).quantize(Decimal("0.00001"))
