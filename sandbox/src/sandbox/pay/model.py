"""Orders, refunds and notifications as the simulated platform keeps them, and WeChat's ids
and time format."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.clock import CHINA
from sandbox.pay.knobs import Knobs

# trade_state -> trade_state_desc, as WeChat words them.
TRADE_STATE_DESC = {
    "SUCCESS": "支付成功",
    "REFUND": "转入退款",
    "NOTPAY": "订单未支付",
    "CLOSED": "已关闭",
    "REVOKED": "已撤销（仅付款码支付会返回）",
    "USERPAYING": "用户支付中（仅付款码支付会返回）",
    "PAYERROR": "支付失败，请重新下单支付",
}
PAID_STATES = ("SUCCESS", "REFUND")


def wechat_time(at: float) -> str:
    """WeChat's time format: RFC 3339 in China's time, seconds, `+08:00`."""
    return datetime.fromtimestamp(at, CHINA).isoformat(timespec="seconds")


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


def new_prepay_id(at: float) -> str:
    """`wx` + the local time to the second + 20 hex digits (36 characters, as WeChat's)."""
    return "wx" + datetime.fromtimestamp(at, CHINA).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10)


def new_transaction_id(at: float) -> str:
    """28 digits: `420000`, the local date, then 14 random digits."""
    return "420000" + datetime.fromtimestamp(at, CHINA).strftime("%Y%m%d") + _digits(14)


def new_refund_id() -> str:
    """29 digits starting `50`, as WeChat's refund ids."""
    return "50" + _digits(27)


def new_notification_id(at: float) -> str:
    """`EV-` + the local time + random digits."""
    return "EV-" + datetime.fromtimestamp(at, CHINA).strftime("%Y%m%d%H%M%S") + _digits(8)


@dataclass
class Order:
    """A JSAPI order."""

    appid: str
    mchid: str
    out_trade_no: str
    description: str
    notify_url: str
    total: int
    currency: str
    openid: str
    attach: str | None
    time_expire: float | None
    params: dict[str, Any]
    created_at: float
    prepay_id: str
    prepay_expires_at: float
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: float | None = None
    closed_at: float | None = None
    refunded: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refundable(self) -> int:
        """Fen that can still be refunded."""
        return self.total - self.refunded


@dataclass
class Refund:
    """A refund of (part of) a paid order."""

    refund_id: str
    out_refund_no: str
    out_trade_no: str
    transaction_id: str
    reason: str | None
    notify_url: str | None
    refund: int
    total: int
    currency: str
    params: dict[str, Any]
    created_at: float
    status: str = "PROCESSING"
    success_time: float | None = None


@dataclass
class Attempt:
    """One POST of a notification to the merchant."""

    notification_id: str
    copy_no: int  # which of the concurrent duplicate deliveries, from 1
    number: int
    at: float
    url: str
    status_code: int | None
    error: str | None
    corrupt: str | None


@dataclass
class Notification:
    """A notification to a merchant and what became of it."""

    id: str
    event_type: str
    url: str
    created_at: float
    plaintext: dict[str, Any]
    body: str
    knobs: Knobs  # as they were when it was created
    status: str = "pending"  # held | pending | delivered | failed | dropped
    attempts: list[Attempt] = field(default_factory=list)
    out_trade_no: str = field(init=False)
    out_refund_no: str | None = field(init=False)

    def __post_init__(self) -> None:
        # The order (and refund) it is about, as its plaintext names them.
        self.out_trade_no = self.plaintext["out_trade_no"]
        self.out_refund_no = self.plaintext.get("out_refund_no")
