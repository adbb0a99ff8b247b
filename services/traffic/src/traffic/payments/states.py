"""Payment states and their transitions: one conditional UPDATE each, with its event."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from traffic.models import OPEN_STATUSES, PaymentEvent, PaymentOrder, PaymentStatus
from traffic.payments.metrics import note_transition
from traffic.payments.provider import ALERT

log = logging.getLogger(__name__)

FINISHED = frozenset({"success", "failed", "cancelled", "error"})

STATUS_TEXT = {
    "created": "待支付",
    "started": "待支付",
    "success": "已支付",
    "cancelled": "已关闭（已重新发起缴款）",
    "error": "下单失败，未扣款",
}
FAILURE_TEXT = {
    "expired": "超过2小时未支付，订单已失效",
    "user_cancelled": "已取消支付",
    "payment_error": "支付失败",
    "closed": "订单已关闭",
}


def is_finished(status: PaymentStatus) -> bool:
    """Whether the order is over: success, failed, cancelled or error."""
    return status in FINISHED


def status_text(order: PaymentOrder) -> str:
    """The order's state in Chinese, as the citizen's page shows it."""
    if order.status == "failed":
        return FAILURE_TEXT.get(order.failure_reason or "", "支付失败")
    return STATUS_TEXT[order.status]


def alert(message: str, **fields: Any) -> None:
    """An alert log line: someone must look (bad signatures, amount mismatches, double payment)."""
    log.error(message, extra={"alert": ALERT, **fields})


def record_event(
    session: Session,
    order_id: int,
    *,
    type_: str,
    status: PaymentStatus,
    source: str,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Add one entry to the order's history (not committed; `detail` cut to 300 characters)."""
    session.add(
        PaymentEvent(
            payment_id=order_id,
            type=type_,
            status=status,
            source=source,
            detail=None if detail is None else detail[:300],
            at=now,
        )
    )


def transition(
    session: Session,
    order_id: int,
    *,
    to: PaymentStatus,
    from_: Iterable[PaymentStatus] = OPEN_STATUSES,
    event: str,
    source: str,
    now: datetime,
    detail: str | None = None,
    **values: Any,
) -> bool:
    """Move the order to `to` if it is in one of `from_`, with its event; not committed.

    False (and nothing written) when the order was not in `from_`: someone moved it first.
    """
    result = session.execute(
        update(PaymentOrder)
        .where(col(PaymentOrder.id) == order_id, col(PaymentOrder.status).in_(list(from_)))
        .values(status=to, updated_at=now, **values)
    )
    if result.rowcount != 1:
        return False
    record_event(session, order_id, type_=event, status=to, source=source, now=now, detail=detail)
    note_transition(session, status=to, source=source)
    return True


def flag(session: Session, order_id: int, *, reason: str, source: str, now: datetime) -> None:
    """Flag an order for review (once per reason) and commit."""
    result = session.execute(
        update(PaymentOrder)
        .where(
            col(PaymentOrder.id) == order_id,
            or_(col(PaymentOrder.flag_reason).is_(None), col(PaymentOrder.flag_reason) != reason),
        )
        .values(flagged=True, flag_reason=reason[:200], updated_at=now)
    )
    if result.rowcount == 1:
        status = session.exec(select(PaymentOrder.status).where(PaymentOrder.id == order_id)).one()
        record_event(
            session, order_id, type_="flagged", status=status, source=source, now=now, detail=reason
        )
    session.commit()
