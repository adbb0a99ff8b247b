"""Reading payment orders, their history and their refunds: the citizen who created an order,
or a traffic officer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlmodel import Session, col, select

from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import NotFound
from servicekit.identity import Identity, require_staff
from traffic.models import (
    PaymentEvent,
    PaymentOrder,
    PaymentPublic,
    PaymentRefund,
)
from traffic.views import payment_event_public, payment_public, refund_public

OFFICER_ROLE = "traffic_officer"
P = TypeVar("P")


@dataclass(frozen=True)
class OrderRows(Generic[P]):
    """Rows that belong to an order (its history, its refunds): their table, order and public
    form."""

    table: type[PaymentEvent] | type[PaymentRefund]
    order_by: tuple[Any, ...]
    public: Callable[[Any], P]

    def public_list(self, found: list[Any]) -> list[P]:
        """The public form of each row of a page."""
        return [self.public(row) for row in found]


EVENTS = OrderRows(PaymentEvent, (col(PaymentEvent.at), col(PaymentEvent.id)), payment_event_public)
REFUNDS = OrderRows(PaymentRefund, (col(PaymentRefund.id),), refund_public)


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


def payment_of(session: Session, order: PaymentOrder) -> PaymentPublic:
    """An order with its state and refund summary."""
    assert order.id is not None
    return payment_public(order, refunds_of(session, order.id))


def order_rows(
    session: Session, rows: OrderRows[P], order: PaymentOrder, page: PageParams
) -> Page[P]:
    """A page of an order's `rows` (EVENTS: its transitions, refund steps and review flags;
    REFUNDS), oldest first."""
    query = select(rows.table).where(rows.table.payment_id == order.id)
    return paginate(session, query, page, order_by=rows.order_by, public=rows.public_list)
