"""Refunds of successful payments (officers), and the provider's refund statuses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from servicekit.errors import Conflict, NotFound, Problem, UpstreamUnavailable
from traffic.models import PaymentOrder, PaymentRefund, RefundCreate
from traffic.payments.provider import ProviderRefused, ProviderUnavailable, WechatPayClient
from traffic.payments.states import alert, flag, record_event

log = logging.getLogger(__name__)


class PreconditionFailed(Problem):
    """412: the caller's picture of the resource is stale."""

    status, title = 412, "Precondition Failed"


@dataclass(frozen=True)
class RefundReport:
    """What the provider says of a refund: its status and its refund id (微信退款单号)."""

    status: str
    refund_id: str | None = None

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> RefundReport:
        """From the provider's refund object (`status`) or a refund notification's resource
        (`refund_status`)."""
        refund_id = answer.get("refund_id")
        return cls(
            status=str(answer.get("status") or answer.get("refund_status") or ""),
            refund_id=str(refund_id)[:32] if refund_id else None,
        )


def apply_refund_status(
    session: Session, refund: PaymentRefund, report: RefundReport, *, source: str, now: datetime
) -> bool:
    """Apply the provider's report to a submitted refund, once; True if the refund changed."""
    assert refund.id is not None
    provider_status = report.status
    if provider_status not in ("SUCCESS", "CLOSED", "ABNORMAL"):
        if report.refund_id and not refund.refund_id:
            refund.refund_id = report.refund_id
            session.add(refund)
            session.commit()
        return False
    to = "success" if provider_status == "SUCCESS" else "error"
    changed = session.execute(
        update(PaymentRefund)
        .where(col(PaymentRefund.id) == refund.id, col(PaymentRefund.status) == "submitted")
        .values(
            status=to,
            provider_status=provider_status,
            refund_id=report.refund_id or refund.refund_id,
            finished_at=now,
        )
    )
    if changed.rowcount != 1:
        session.rollback()
        return False
    values: dict[str, Any] = {"updated_at": now}
    if provider_status == "SUCCESS":
        values["refunded_fen"] = col(PaymentOrder.refunded_fen) + refund.amount_fen
    elif provider_status == "CLOSED":
        # The money never left: it is available to refund again.
        values["refund_reserved_fen"] = col(PaymentOrder.refund_reserved_fen) - refund.amount_fen
    session.execute(
        update(PaymentOrder).where(col(PaymentOrder.id) == refund.payment_id).values(**values)
    )
    record_event(
        session,
        refund.payment_id,
        type_="refunded" if to == "success" else "refund_failed",
        status="success",
        source=source,
        now=now,
        detail=f"退款单{refund.out_refund_no}：{refund.amount_fen}分（{provider_status}）",
    )
    session.commit()
    if provider_status == "ABNORMAL":
        alert("WeChat Pay refund abnormal", refund_id=refund.id)
        flag(
            session,
            refund.payment_id,
            reason=f"退款单{refund.out_refund_no}退款异常，须人工处理",
            source=source,
            now=now,
        )
    session.refresh(refund)
    return True


def create_refund(
    session: Session,
    pay: WechatPayClient,
    *,
    order_id: int,
    body: RefundCreate,
    officer_id: str,
    now: datetime,
) -> PaymentRefund:
    """Refund part of a successful payment; a retried out_refund_no refunds once."""
    order = session.get(PaymentOrder, order_id)
    if order is None:
        raise NotFound("未找到该缴款订单。")
    existing = session.exec(
        select(PaymentRefund).where(PaymentRefund.out_refund_no == body.out_refund_no)
    ).first()
    if existing is not None:
        if existing.payment_id != order_id or existing.amount_fen != body.amount_fen:
            raise Conflict("该退款单号已用于另一笔退款。")
        return _submit_refund(session, pay, order, existing, now=now)
    if order.status != "success":
        raise Conflict("只有支付成功的订单可以退款。")
    available = order.amount_fen - order.refund_reserved_fen
    if body.expected_available_fen != available:
        raise PreconditionFailed(
            f"可退金额已变为{available}分，请刷新后重新确认。",
            errors=[
                {
                    "field": "expected_available_fen",
                    "in": "body",
                    "message": f"当前可退{available}分",
                    "type": "stale",
                }
            ],
        )
    if body.amount_fen > available:
        raise RefundTooLarge(available)
    reserved = session.execute(
        update(PaymentOrder)
        .where(
            col(PaymentOrder.id) == order_id,
            col(PaymentOrder.status) == "success",
            col(PaymentOrder.refund_reserved_fen) == order.refund_reserved_fen,
        )
        .values(
            refund_reserved_fen=col(PaymentOrder.refund_reserved_fen) + body.amount_fen,
            updated_at=now,
        )
    )
    if reserved.rowcount != 1:
        session.rollback()
        raise PreconditionFailed("可退金额已被另一笔退款改变，请刷新后重新确认。")
    refund = PaymentRefund(
        payment_id=order_id,
        out_refund_no=body.out_refund_no,
        amount_fen=body.amount_fen,
        reason=body.reason,
        status="submitted",
        officer_id=officer_id,
        created_at=now,
    )
    session.add(refund)
    record_event(
        session,
        order_id,
        type_="refund_submitted",
        status="success",
        source="officer",
        now=now,
        detail=f"退款单{body.out_refund_no}：{body.amount_fen}分，{body.reason}",
    )
    try:
        session.commit()
    except IntegrityError:
        # The same out_refund_no submitted at the same moment: the rollback frees our reservation.
        session.rollback()
        return create_refund(
            session, pay, order_id=order_id, body=body, officer_id=officer_id, now=now
        )
    log.info("refund submitted", extra={"payment_id": order_id, "officer": officer_id})
    session.refresh(refund)
    session.refresh(order)
    return _submit_refund(session, pay, order, refund, now=now)


class RefundTooLarge(Problem):
    """422: more than can still be refunded."""

    status, title = 422, "Unprocessable Content"

    def __init__(self, available: int) -> None:
        message = f"退款金额超过可退金额{available}分。"
        super().__init__(
            message,
            errors=[{"field": "amount_fen", "in": "body", "message": message, "type": "range"}],
        )


def _submit_refund(
    session: Session,
    pay: WechatPayClient,
    order: PaymentOrder,
    refund: PaymentRefund,
    *,
    now: datetime,
) -> PaymentRefund:
    """Ask the provider (again: it is idempotent per out_refund_no) for a submitted refund."""
    if refund.status != "submitted":
        return refund
    try:
        answer = pay.refund(order, refund)
    except ProviderRefused as exc:
        # Refused outright: nothing was refunded, the amount is available again.
        apply_refund_status(session, refund, RefundReport("CLOSED"), source="officer", now=now)
        session.refresh(refund)
        log.warning(
            "refund refused by WeChat Pay", extra={"refund_id": refund.id, "code": exc.code}
        )
        return refund
    except ProviderUnavailable:
        raise UpstreamUnavailable(
            "退款已登记，但微信支付暂时无法访问；请稍后用同一退款单号重试。"
        ) from None
    apply_refund_status(session, refund, RefundReport.of(answer), source="officer", now=now)
    session.refresh(refund)
    return refund
