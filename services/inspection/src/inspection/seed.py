"""`python -m inspection seed`: the demo registry of `inspection.population`, inserted in bulk
into a database without it (idempotent: a registry already present is left as it is, so the
standing recorded since is never overwritten), and the demo contact: 张三 is a contact of the
demo lift's user unit and has one application at 已排期 (李四 is bound to nothing, to try
binding with). The demo contact is seeded once: a binding removed since stays removed."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert
from sqlmodel import Session, func, select

from inspection.applications import application_number
from inspection.contacts import contact_of
from inspection.models import Application, ApplicationStep, Contact, Equipment, UserUnit
from inspection.population import DEMO_LIFT, DEMO_OVERDUE_LIFT, generate_registry
from servicekit.clock import SHANGHAI, today
from wechat.demo_citizens import demo_citizen

# The demo application's Idempotency-Key: it tells the seeded application apart whatever the
# anchor day, so seeding again never adds a second one.
DEMO_KEY = "demo-seed"


def seed_at(session: Session, *, anchor: date) -> str:
    """Insert the registry anchored on `anchor` unless the demo lift is already there, then the
    demo contact unless it was seeded before."""
    return f"{seed_registry(session, anchor=anchor)}; {seed_demo_contact(session, anchor=anchor)}"


def seed_registry(session: Session, *, anchor: date) -> str:
    """Insert the registry anchored on `anchor` unless the demo lift is already there."""
    if session.get(Equipment, DEMO_LIFT) is not None:
        count = session.exec(select(func.count()).select_from(Equipment)).one()
        return f"registry already present ({count} pieces of equipment)"
    registry = generate_registry(anchor=anchor)
    session.execute(insert(UserUnit), registry.units)
    session.execute(insert(Equipment), registry.equipment)
    session.commit()
    return f"{len(registry.units)} user units, {len(registry.equipment)} pieces of equipment"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of `day` in Dongguan."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def seed_demo_contact(session: Session, *, anchor: date) -> str:
    """张三 as a contact of the demo lift's unit, with an application for its overdue lift,
    accepted two days before `anchor` and scheduled five days after it."""
    citizen_id = demo_citizen("zhangsan").citizen_id
    seeded = session.exec(
        select(Application).where(
            Application.applicant_id == citizen_id, Application.idempotency_key == DEMO_KEY
        )
    ).first()
    if seeded is not None:
        return f"demo contact already seeded ({seeded.number})"
    lift = session.get(Equipment, DEMO_OVERDUE_LIFT)
    assert lift is not None  # the registry is seeded first
    accepted, scheduled = (
        _at(anchor - timedelta(days=2), 9, 30),
        _at(anchor - timedelta(days=1), 15),
    )
    if contact_of(session, citizen_id=citizen_id, unit_code=lift.user_unit_code) is None:
        session.add(
            Contact(citizen_id=citizen_id, unit_code=lift.user_unit_code, created_at=accepted)
        )
    scheduled_date = anchor + timedelta(days=5)
    application = Application(
        number=application_number(day=accepted.date(), sequence=1),
        registration_code=lift.registration_code,
        unit_code=lift.user_unit_code,
        applicant_id=citizen_id,
        idempotency_key=DEMO_KEY,
        request_hash=hashlib.sha256(DEMO_KEY.encode()).hexdigest(),
        preferred_date=scheduled_date,
        note="检验前请提前一天电话联系设备管理员。",
        state="已排期",
        scheduled_date=scheduled_date,
        created_at=accepted,
        updated_at=scheduled,
    )
    session.add(application)
    session.flush()
    assert application.id is not None
    session.add_all(
        [
            ApplicationStep(
                application_id=application.id,
                state="受理",
                at=accepted,
                remark="已受理您的定期检验申请。",
            ),
            ApplicationStep(
                application_id=application.id,
                state="已排期",
                at=scheduled,
                remark=f"已安排于{scheduled_date:%Y年%m月%d日}现场检验，请安排人员配合。",
            ),
        ]
    )
    session.commit()
    return f"demo contact and application {application.number}"


def seed(session: Session) -> str:
    """The registry anchored on today in Dongguan."""
    return seed_at(session, anchor=today())
