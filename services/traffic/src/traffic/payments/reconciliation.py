"""Reconciliation (`python -m traffic reconcile`): repair what notifications did not tell us.

Notifications are not guaranteed ("paid, but still shows unpaid" is the complaint this exists
for), so a scheduled run asks the provider about every order still open a few minutes after it
was created, and about every refund still submitted:

- a paid order becomes success (its decision paid), exactly as a notification would do it;
- an order past its 2 hours is closed at the provider and becomes failed (expired); closed,
  revoked or failed-to-pay orders become failed; an order the provider never received becomes
  error (no money taken);
- the day's trade bill (and the day before's) is read too: a SUCCESS row whose order is not
  success here is confirmed with a signed query and applied; a row we do not know, or whose
  amount differs, raises an alert.

Every step is a conditional transition, so running it twice, or beside notifications, changes
nothing twice. It is one command per run (a CronJob or the compose scheduler runs it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from servicekit.clock import as_utc, local_day, utcnow
from traffic.models import OPEN_STATUSES, PaymentOrder, PaymentRefund
from traffic.payments.orders import close_other_orders
from traffic.payments.provider import (
    ProviderError,
    ProviderRefused,
    WechatPayClient,
    parse_trade_bill,
)
from traffic.payments.refunds import RefundReport, apply_refund_status
from traffic.payments.states import alert, flag, transition
from traffic.payments.transactions import apply_transaction

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    """What one run looked at and changed."""

    checked: int = 0
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    refunds_updated: list[str] = field(default_factory=list)
    bill_rows: int = 0
    bills_unavailable: list[str] = field(default_factory=list)
    unknown_in_bill: list[str] = field(default_factory=list)
    provider_errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"checked {self.checked} open orders: {len(self.succeeded)} paid, "
            f"{len(self.failed)} failed/expired, {len(self.errored)} error, "
            f"{len(self.mismatched)} mismatched; {len(self.refunds_updated)} refunds updated; "
            f"{self.bill_rows} bill rows ({len(self.unknown_in_bill)} unknown, "
            f"{len(self.bills_unavailable)} bills unavailable); "
            f"{len(self.provider_errors)} provider errors"
        )


def _record(
    session: Session,
    pay: WechatPayClient,
    order: PaymentOrder,
    outcome: str,
    *,
    now: datetime,
    report: ReconcileReport,
) -> None:
    out_trade_no = order.out_trade_no
    if outcome == "success":
        close_other_orders(session, pay, order, source="reconcile", now=now)
        report.succeeded.append(out_trade_no)
    elif outcome == "failed":
        report.failed.append(out_trade_no)
    elif outcome == "mismatch":
        report.mismatched.append(out_trade_no)


def _reconcile_order(
    session: Session,
    pay: WechatPayClient,
    order: PaymentOrder,
    *,
    now: datetime,
    report: ReconcileReport,
) -> None:
    assert order.id is not None
    transaction = pay.query_order(order.out_trade_no)
    if transaction is None:
        # The provider never received it: no money can have been taken.
        if transition(
            session,
            order.id,
            to="error",
            event="error",
            source="reconcile",
            now=now,
            detail="支付平台无此订单，未扣款",
        ):
            report.errored.append(order.out_trade_no)
        session.commit()
        return
    state = transaction.get("trade_state")
    if state in ("NOTPAY", "USERPAYING") and now >= as_utc(order.expires_at):
        try:
            pay.close_order(order.out_trade_no)
        except ProviderRefused as exc:
            if exc.code != "ORDERPAID":
                raise
            # Paid at the last moment: the query tells the truth.
            transaction = pay.query_order(order.out_trade_no) or transaction
        else:
            transaction = {**transaction, "trade_state": "CLOSED"}
    outcome = apply_transaction(
        session, order, transaction, source="reconcile", now=now, config=pay.config
    )
    _record(session, pay, order, outcome, now=now, report=report)


def _yuan_to_fen(value: str) -> int | None:
    try:
        return int(Decimal(value.replace(",", "")) * 100)
    except (InvalidOperation, ValueError):
        return None


def _reconcile_bill(
    session: Session,
    pay: WechatPayClient,
    bill_date: date,
    *,
    now: datetime,
    report: ReconcileReport,
) -> None:
    try:
        text = pay.trade_bill(bill_date)
    except ProviderError as exc:
        # Today's bill may not exist yet (the real provider publishes it the next morning).
        report.bills_unavailable.append(f"{bill_date.isoformat()}: {exc}")
        return
    for row in parse_trade_bill(text):
        report.bill_rows += 1
        out_trade_no = row.get("商户订单号", "")
        if row.get("交易状态") != "SUCCESS" or not out_trade_no:
            continue
        order = session.exec(
            select(PaymentOrder).where(PaymentOrder.out_trade_no == out_trade_no)
        ).first()
        if order is None or order.id is None:
            alert("trade bill names an order we do not know", out_trade_no=out_trade_no[:40])
            report.unknown_in_bill.append(out_trade_no)
            continue
        billed = _yuan_to_fen(row.get("订单金额") or row.get("应结订单金额") or "")
        if billed is not None and billed != order.amount_fen:
            alert("trade bill amount differs from the order", payment_id=order.id)
            flag(
                session,
                order.id,
                reason=f"对账单金额{billed}分与订单金额{order.amount_fen}分不符",
                source="reconcile",
                now=now,
            )
            report.mismatched.append(out_trade_no)
            continue
        if order.status == "success":
            continue
        # The bill is not signed: believe it only after a signed query confirms it.
        transaction = pay.query_order(out_trade_no)
        if transaction is not None:
            outcome = apply_transaction(
                session, order, transaction, source="reconcile", now=now, config=pay.config
            )
            _record(session, pay, order, outcome, now=now, report=report)


def reconcile_once(
    engine: Engine,
    pay: WechatPayClient,
    *,
    now: datetime | None = None,
    older_than: timedelta = timedelta(minutes=5),
    bill_dates: list[date] | None = None,
) -> ReconcileReport:
    """One reconciliation run; idempotent."""
    now = now or utcnow()
    report = ReconcileReport()
    today = local_day(now)
    dates = bill_dates if bill_dates is not None else [today - timedelta(days=1), today]
    with Session(engine) as session:
        orders = session.exec(
            select(PaymentOrder)
            .where(
                col(PaymentOrder.status).in_(OPEN_STATUSES),
                col(PaymentOrder.created_at) <= now - older_than,
            )
            .order_by(col(PaymentOrder.id))
        ).all()
        for order in orders:
            report.checked += 1
            try:
                _reconcile_order(session, pay, order, now=now, report=report)
            except ProviderError as exc:
                session.rollback()
                report.provider_errors.append(f"{order.out_trade_no}: {exc}")
        refunds = session.exec(
            select(PaymentRefund).where(
                PaymentRefund.status == "submitted",
                col(PaymentRefund.created_at) <= now - older_than,
            )
        ).all()
        for refund in refunds:
            try:
                answer = pay.query_refund(refund.out_refund_no)
            except ProviderError as exc:
                report.provider_errors.append(f"{refund.out_refund_no}: {exc}")
                continue
            if answer is not None and apply_refund_status(
                session, refund, RefundReport.of(answer), source="reconcile", now=now
            ):
                report.refunds_updated.append(refund.out_refund_no)
        for bill_date in dates:
            try:
                _reconcile_bill(session, pay, bill_date, now=now, report=report)
            except ProviderError as exc:
                session.rollback()
                report.provider_errors.append(f"bill {bill_date.isoformat()}: {exc}")
    log.info("reconciliation done", extra={"summary": report.summary()})
    return report
