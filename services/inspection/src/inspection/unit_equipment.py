"""A user unit's equipment as its contacts see it: every item with its standing, or only what is
due for inspection soon (in use, due within some days, or overdue already), soonest first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from inspection.models import Equipment, EquipmentPublic, UserUnit
from inspection.registry import equipment_public, is_overdue
from servicekit.deps import Page, PageParams, paginate

# A year and a day: every interval's next date falls within it after a leap day.
MAX_DUE_WITHIN_DAYS = 366


def is_due(*, equipment: Equipment, today: date, within_days: int) -> bool:
    """In use and due within `within_days` of `today`, or overdue (registry.is_overdue)."""
    if equipment.status != "在用":
        return False
    if is_overdue(equipment=equipment, today=today):
        return True
    return equipment.next_due is not None and equipment.next_due <= today + timedelta(
        days=within_days
    )


def due_condition(*, today: date, within_days: int) -> Any:
    """`is_due` as a SQL condition."""
    next_due = col(Equipment.next_due)
    return and_(
        col(Equipment.status) == "在用",
        or_(
            next_due <= today + timedelta(days=within_days),
            and_(next_due.is_(None), col(Equipment.last_inspection).is_not(None)),
        ),
    )


def equipment_page(
    session: Session, *, unit: UserUnit, today: date, page: PageParams, within_days: int | None
) -> Page[EquipmentPublic]:
    """One page of the unit's equipment (only what `is_due` when `within_days` is given), by next
    due date, items without one last."""
    query = select(Equipment).where(Equipment.user_unit_code == unit.credit_code)
    if within_days is not None:
        query = query.where(due_condition(today=today, within_days=within_days))
    return paginate(
        session,
        query,
        page,
        order_by=(
            col(Equipment.next_due).is_(None),
            col(Equipment.next_due),
            col(Equipment.registration_code),
        ),
        public=lambda rows: [equipment_public(equipment=e, unit=unit, today=today) for e in rows],
    )
