"""What the provider says about an order (notifications and queries), applied once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from servicekit.clock import as_utc, local_day
from traffic.models import PaymentOrder, PenaltyDecision
from traffic.notices import record_payment_notice
from traffic.payments.provider import MerchantConfig
from traffic.payments.states import alert, flag, transition

log = logging.getLogger(__name__)


class Mismatch(Exception):
    """A transaction that does not match our order: refused, and the order flagged."""


def mismatches(data: Mapping[str, Any], **expected: object) -> list[str]:
    """`name value` for each expected field whose value in `data` is another."""
    return [
        f"{name} {data.get(name)!r}" for name, want in expected.items() if data.get(name) != want
    ]


def check_transaction(
    order: PaymentOrder, transaction: Mapping[str, Any], config: MerchantConfig
) -> None:
    """Raise Mismatch unless the transaction is this order's, at its frozen amount."""
    amount = transaction.get("amount") or {}
    problems = mismatches(
        transaction, appid=config.appid, mchid=config.mchid, out_trade_no=order.out_trade_no
    )
    if transaction.get("trade_state") in ("SUCCESS", "REFUND"):
        if amount.get("total") != order.amount_fen:
            problems.append(f"金额{amount.get('total')}分与订单金额{order.amount_fen}分不符")
        if amount.get("currency", "CNY") != "CNY":
            problems.append(f"currency {amount.get('currency')!r}")
    if problems:
        raise Mismatch("；".join(problems))


def _parse_time(value: Any, default: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return default
    return as_utc(parsed) if parsed.tzinfo is not None else default


def apply_success(
    session: Session,
    order: PaymentOrder,
    transaction: Mapping[str, Any],
    *,
    source: str,
    now: datetime,
) -> bool:
    """Mark the order paid and its decision paid, exactly once; False for a repeat."""
    assert order.id is not None
    paid_at = _parse_time(transaction.get("success_time"), now)
    amount = transaction.get("amount") or {}
    late = order.status in ("failed", "cancelled", "error")
    changed = transition(
        session,
        order.id,
        to="success",
        from_=("created", "started", "failed", "cancelled", "error"),
        event="paid",
        source=source,
        now=now,
        detail=(
            f"微信支付订单号{transaction.get('transaction_id')}"
            + ("（订单关闭前已支付）" if late else "")
        ),
        failure_reason=None,
        transaction_id=str(transaction.get("transaction_id") or "")[:32] or None,
        payer_total_fen=amount.get("payer_total", amount.get("total")),
        paid_at=paid_at,
    )
    if not changed:
        session.rollback()
        return False
    paid = session.execute(
        update(PenaltyDecision)
        .where(
            col(PenaltyDecision.number) == order.decision_number,
            col(PenaltyDecision.paid_on).is_(None),
        )
        .values(paid_on=local_day(paid_at), paid_fen=order.amount_fen)
    )
    double = paid.rowcount != 1
    if not double:
        # Told in the payment's own transaction; a double payment is refunded, not confirmed.
        record_payment_notice(session, order=order, paid_at=paid_at, now=now)
    session.commit()
    log.info(
        "payment succeeded",
        extra={"payment_id": order.id, "out_trade_no": order.out_trade_no, "source": source},
    )
    if double:
        reason = "决定书已由另一笔缴款付清，本笔重复缴款须退款"
        alert("double payment of a decision", payment_id=order.id, decision=order.decision_number)
        flag(session, order.id, reason=reason, source=source, now=now)
    return True


def apply_transaction(
    session: Session,
    order: PaymentOrder,
    transaction: Mapping[str, Any],
    *,
    source: str,
    now: datetime,
    config: MerchantConfig,
) -> str:
    """Bring the order in line with the provider's transaction; what happened.

    Outcomes: success (newly paid), duplicate, failed, unchanged, mismatch.
    """
    assert order.id is not None
    try:
        check_transaction(order, transaction, config)
    except Mismatch as exc:
        alert(
            "WeChat Pay transaction does not match the order",
            payment_id=order.id,
            problem=str(exc),
            source=source,
        )
        flag(session, order.id, reason=f"支付平台数据不符：{exc}", source=source, now=now)
        return "mismatch"
    state = transaction.get("trade_state")
    if state in ("SUCCESS", "REFUND"):
        return (
            "success"
            if apply_success(session, order, transaction, source=source, now=now)
            else "duplicate"
        )
    failures = {"CLOSED": "closed", "REVOKED": "closed", "PAYERROR": "payment_error"}
    if state in failures:
        reason = failures[state]
        if reason == "closed" and now >= as_utc(order.expires_at):
            reason = "expired"
        changed = transition(
            session,
            order.id,
            to="failed",
            event="expired" if reason == "expired" else reason,
            source=source,
            now=now,
            failure_reason=reason,
            detail=str(transaction.get("trade_state_desc") or state),
        )
        session.commit()
        return "failed" if changed else "unchanged"
    return "unchanged"
