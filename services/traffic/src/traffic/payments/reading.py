"""Reading payment orders, their history and their refunds: the citizen who created an order,
or a traffic officer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import NotFound
from servicekit.identity import Identity, require_staff
from traffic.models import (
    PaymentEvent,
    PaymentEventPublic,
    PaymentOrder,
    PaymentPublic,
    PaymentRefund,
    RefundPublic,
)
from traffic.views import payment_event_public, payment_public, refund_public

OFFICER_ROLE = "traffic_officer"


def readable_order(session: Session, *, identity: Identity, order_id: int) -> PaymentOrder:
    """An order its citizen, or a traffic officer, may read; another's is as unknown as none."""
    order = session.get(PaymentOrder, order_id)
    if identity.kind == "citizen":
        if order is None or order.citizen_id != identity.subject:
            raise NotFound("未找到该缴款订单。")
        return order
    require_staff(identity, OFFICER_ROLE)
    if order is None:
        raise NotFound("未找到该缴款订单。")
    return order


def refunds_of(session: Session, order_id: int) -> list[PaymentRefund]:
    """An order's refunds, oldest first."""
    return list(
        session.exec(
            select(PaymentRefund)
            .where(PaymentRefund.payment_id == order_id)
            .order_by(col(PaymentRefund.id))
        ).all()
    )


def payments_public(session: Session, orders: Sequence[PaymentOrder]) -> list[PaymentPublic]:
    """Orders with their refund summaries, the refunds read in one query."""
    ids = [o.id for o in orders if o.id is not None]
    refunds: dict[int, list[PaymentRefund]] = {i: [] for i in ids}
    for refund in session.exec(
        select(PaymentRefund)
        .where(col(PaymentRefund.payment_id).in_(ids))
        .order_by(col(PaymentRefund.id))
    ).all():
        refunds[refund.payment_id].append(refund)
    return [payment_public(o, refunds[o.id]) for o in orders if o.id is not None]


def my_payments(session: Session, *, citizen_id: str, page: PageParams) -> Page[PaymentPublic]:
    """The citizen's payment orders, newest first."""
    return paginate(
        session,
        select(PaymentOrder).where(PaymentOrder.citizen_id == citizen_id),
        page,
        order_by=col(PaymentOrder.id).desc(),
        public=lambda orders: payments_public(session, orders),
    )


def payment_of(session: Session, *, identity: Identity, order_id: int) -> PaymentPublic:
    """An order and its state, for its citizen or a traffic officer."""
    order = readable_order(session, identity=identity, order_id=order_id)
    return payment_public(order, refunds_of(session, order_id))


def payment_events(
    session: Session, *, identity: Identity, order_id: int, page: PageParams
) -> Page[PaymentEventPublic]:
    """An order's history (transitions, refund steps, review flags), oldest first."""
    readable_order(session, identity=identity, order_id=order_id)
    return paginate(
        session,
        select(PaymentEvent)
        .where(PaymentEvent.payment_id == order_id)
        .order_by(col(PaymentEvent.at)),
        page,
        order_by=col(PaymentEvent.id),
        public=lambda events: [payment_event_public(e) for e in events],
    )


def payment_refunds(
    session: Session, *, identity: Identity, order_id: int, page: PageParams
) -> Page[RefundPublic]:
    """An order's refunds, oldest first."""
    readable_order(session, identity=identity, order_id=order_id)
    return paginate(
        session,
        select(PaymentRefund).where(PaymentRefund.payment_id == order_id),
        page,
        order_by=col(PaymentRefund.id),
        public=lambda refunds: [refund_public(r) for r in refunds],
    )
