"""Fine payments over WeChat Pay (traffic.payments): orders, events, refunds, API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import CheckConstraint, DateTime, Index, UniqueConstraint, text
from sqlmodel import AutoString, Field, SQLModel

from traffic import openapi_examples as examples
from traffic.models.base import Table

PaymentStatus = Literal["created", "started", "success", "failed", "cancelled", "error"]
RefundStatus = Literal["submitted", "success", "error"]

# Open orders: at most one per decision (a newer order closes the older first).
OPEN_STATUSES: tuple[PaymentStatus, ...] = ("created", "started")


class PaymentOrder(Table, table=True):
    """One attempt to pay a decision, its amount frozen when it was created.

    `status` follows GOV.UK Pay: created (ours, not yet at the provider) -> started (JSAPI order
    at the provider) -> success | failed (expired, cancelled by the payer, payment error) |
    cancelled (closed by us: superseded by a newer order) | error (the provider refused or could
    not be reached; no money taken). Success, failed, cancelled and error are finished.
    """

    __tablename__ = "payment_order"
    __table_args__ = (
        UniqueConstraint("citizen_id", "idempotency_key", name="uq_payment_order_citizen_key"),
        CheckConstraint(
            "amount_fen = fine_fen + surcharge_fen", name="amount_is_fine_plus_surcharge"
        ),
        CheckConstraint(
            "refund_reserved_fen >= 0 AND refund_reserved_fen <= amount_fen",
            name="refunds_within_amount",
        ),
        Index(
            "uq_payment_order_open_decision",
            "decision_number",
            unique=True,
            sqlite_where=text("status IN ('created', 'started')"),
            postgresql_where=text("status IN ('created', 'started')"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    out_trade_no: str = Field(max_length=32, unique=True, description="商户订单号")
    decision_number: str = Field(foreign_key="penalty_decision.number", max_length=16, index=True)
    citizen_id: str = Field(max_length=40, index=True)
    # Cleared when the key is older than 24 hours and used again for a new order.
    idempotency_key: str | None = Field(default=None, max_length=64)
    request_hash: str = Field(max_length=64)
    payer_openid: str = Field(max_length=128)
    description: str = Field(max_length=127)
    fine_fen: int
    surcharge_fen: int
    amount_fen: int
    overdue_days: int
    priced_on: date = Field(description="计算应缴金额的日期（北京时间）")
    # A Literal has no SQL type of its own: the status columns stay VARCHAR(16).
    status: PaymentStatus = Field(sa_type=AutoString(length=16), index=True)
    failure_reason: str | None = Field(default=None, max_length=32)
    prepay_id: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=32)
    payer_total_fen: int | None = None
    paid_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    refund_reserved_fen: int = 0
    refunded_fen: int = 0
    flagged: bool = False
    flag_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class PaymentEvent(Table, table=True):
    """One entry of a payment's history: a transition, a refund step or a flag."""

    __tablename__ = "payment_event"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment_order.id", index=True)
    type: str = Field(max_length=32)
    status: PaymentStatus = Field(
        sa_type=AutoString(length=16), description="the payment's status after the event"
    )
    source: str = Field(max_length=16, description="citizen | notification | reconcile | officer")
    detail: str | None = Field(default=None, max_length=300)
    at: datetime = Field(sa_type=DateTime(timezone=True))


class PaymentNotice(Table, table=True):
    """The 缴款成功 template message of a paid order, written with the payment (traffic.notices)
    and posted to the gateway until it answers 2xx."""

    __tablename__ = "payment_notice"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment_order.id", unique=True)
    account: str = Field(max_length=32, description="the official account that sends it")
    openid: str = Field(max_length=128, description="the payer's openid with that account")
    decision_number: str = Field(max_length=16)
    amount_fen: int
    paid_at: datetime = Field(sa_type=DateTime(timezone=True))
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    attempts: int = 0
    # Due when this time has come and it is not delivered; a claim moves it a lease ahead.
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=300)


class PaymentRefund(Table, table=True):
    """A refund of (part of) a successful payment; `out_refund_no` makes retries safe."""

    __tablename__ = "payment_refund"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment_order.id", index=True)
    out_refund_no: str = Field(max_length=64, unique=True)
    refund_id: str | None = Field(default=None, max_length=32, description="微信退款单号")
    amount_fen: int
    reason: str = Field(max_length=80)
    status: RefundStatus = Field(
        sa_type=AutoString(length=16), description="submitted | success | error"
    )
    provider_status: str | None = Field(default=None, max_length=16)
    officer_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class JsapiPayParams(SQLModel):
    """What the page hands to `WeixinJSBridge.invoke('getBrandWCPayRequest', ...)`, named as
    WeChat names them."""

    appId: str
    timeStamp: str
    nonceStr: str
    package: str = Field(description="prepay_id=...")
    signType: Literal["RSA"] = "RSA"
    paySign: str


class RefundSummary(SQLModel):
    """What of a payment can still be refunded (GOV.UK Pay's refund summary)."""

    status: Literal["unavailable", "available", "pending", "full"]
    amount_available_fen: int
    amount_submitted_fen: int = Field(description="已提交（处理中与成功）的退款合计")
    amount_refunded_fen: int = Field(description="已退款成功合计")


class PaymentState(SQLModel):
    status: PaymentStatus
    finished: bool
    failure_reason: str | None = Field(
        default=None, description="expired 超时未支付 | user_cancelled | payment_error | closed"
    )


class PaymentPublic(SQLModel):
    """A payment order; its amount was computed and frozen when it was created."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAYMENT]})
    id: int
    out_trade_no: str = Field(description="商户订单号")
    decision_number: str
    state: PaymentState
    status_text: str
    description: str
    fine_fen: int = Field(description="罚款（分）")
    surcharge_fen: int = Field(description="加处罚款（分）")
    amount_fen: int = Field(description="本订单金额（分），创建时计算并冻结")
    overdue_days: int
    priced_on: date = Field(description="金额计算日期")
    created_at: datetime
    expires_at: datetime = Field(description="未支付的订单在此时间后失效（2小时）")
    paid_at: datetime | None = None
    transaction_id: str | None = Field(default=None, description="微信支付订单号")
    under_review: bool = Field(description="有异常，待人工核查")
    refund_summary: RefundSummary


class PaymentCreated(PaymentPublic):
    """A new order with the parameters the WeChat browser needs to pay it."""

    jsapi: JsapiPayParams | None = Field(
        default=None, description="调起微信支付的参数；订单未在支付平台创建成功时为空"
    )
    pay_page_url: str | None = Field(default=None, description="沙箱支付页（仅开发环境）")


class PaymentEventPublic(SQLModel):
    id: int
    type: str = Field(
        description="created | started | paid | expired | user_cancelled | payment_error | "
        "cancelled | error | flagged | refund_submitted | refunded | refund_failed"
    )
    state: PaymentState
    source: str
    detail: str | None = None
    at: datetime


class RefundCreate(SQLModel):
    """Refund part or all of a successful payment.

    `expected_available_fen` is what the officer believes can still be refunded: when another
    refund changed it meanwhile the request is refused with 412 and nothing is refunded.
    """

    out_refund_no: str = Field(
        min_length=6,
        max_length=64,
        regex=r"^[0-9A-Za-z_\-|*@]+$",
        description="商户退款单号；重试时用同一单号，只退一次",
    )
    amount_fen: int = Field(ge=1, description="退款金额（分）")
    expected_available_fen: int = Field(ge=0, description="认为当前可退的金额（分）")
    reason: str = Field(min_length=1, max_length=80, description="退款原因")


class RefundPublic(SQLModel):
    id: int
    payment_id: int
    out_refund_no: str
    refund_id: str | None = None
    amount_fen: int
    reason: str
    status: RefundStatus
    created_at: datetime
    finished_at: datetime | None = None


class ReceiptPublic(SQLModel):
    """An electronic receipt (电子缴款凭证) of a successful payment; the payer is masked."""

    receipt_number: str
    payee: str
    payer: str = Field(description="当事人（脱敏）")
    payer_openid: str = Field(description="付款微信用户（脱敏）")
    decision_number: str
    plate: str
    violation_code: str
    violation: str
    occurred_at: datetime
    place: str
    fine_fen: int
    surcharge_fen: int
    amount_fen: int
    fine_yuan: str
    surcharge_yuan: str
    amount_yuan: str
    out_trade_no: str
    transaction_id: str
    paid_at: datetime
    refunded_fen: int
