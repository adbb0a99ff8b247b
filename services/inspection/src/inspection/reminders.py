"""Overdue reminders (定期检验提醒): each day, the equipment in use due for its periodic inspection
within 30 days, or already overdue, and a template message of 东莞特检 to each contact of its user
unit, once per item per cycle.

A cycle is the due date a reminder names: the item's next due date, or, for an item still in use
after a failed inspection (no next due date), the day of that inspection. A new inspection moves
the item into a new cycle, and its contacts are reminded again when that one comes due.

`plan` writes one `Reminder` row per (item, cycle, contact) with INSERT … ON CONFLICT DO NOTHING
on the table's unique key, so any number of runs, at once on several replicas or again by hand,
leave one row each. `ReminderSender` then sends the pending rows (claimed with a lease first:
servicekit.deliveries) through the gateway, naming the contact by citizen_id: the service holds
no openids. A 2xx delivers a reminder; a 4xx about it (the contact does not follow 东莞特检) or
`reminder_max_attempts` failures make it failed for good; anything else is tried again after
base·2^(n-1) seconds. A reminder whose item has left its cycle (inspected since, suspended,
scrapped) or whose citizen is no longer a contact of the unit is not sent (failed, with why).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspection.models import Contact, Equipment, Reminder, UserUnit
from inspection.settings import InspectionSettings
from inspection.varieties import BY_CODE
from servicekit.clock import local_day, utcnow
from servicekit.deliveries import TemplateChannel, claim_due

log = logging.getLogger(__name__)

ACCOUNT = "dgtj"  # 东莞特检, a service account: it may send template messages
WITHIN = timedelta(days=30)
BATCH = 50
INSERT_CHUNK = 500
HEADING = "特种设备定期检验提醒"
REMARK = (
    "请及时通过东莞特检申请定期检验（报检），逾期未检的设备不得继续使用。"
    "已报检的，回复“报检进度”可查看办理进度。"
)


@dataclass(frozen=True)
class DueItem:
    """A piece of equipment a reminder is due for, and the cycle it names."""

    registration_code: str
    unit_code: str
    cycle: date


def cycle_of(equipment: Equipment) -> date | None:
    """The cycle an item in use is in: its next due date, or the day of the failed inspection
    that left it without one; None when not in use or never inspected."""
    if equipment.status != "在用":
        return None
    return equipment.next_due or equipment.last_inspection


def due_cycle(*, equipment: Equipment, today: date) -> date | None:
    """The cycle to remind the item's contacts of on `today`, if its inspection is due within
    30 days or overdue (see `registry.is_overdue`); None otherwise."""
    cycle = cycle_of(equipment)
    if cycle is None or (equipment.next_due is not None and equipment.next_due > today + WITHIN):
        return None
    return cycle


def due_by_unit(equipment: Iterable[Equipment], *, today: date) -> dict[str, list[DueItem]]:
    """The items due on `today`, per user unit's credit code, in registration-code order."""
    units: dict[str, list[DueItem]] = {}
    for item in sorted(equipment, key=lambda e: e.registration_code):
        cycle = due_cycle(equipment=item, today=today)
        if cycle is not None:
            due = DueItem(item.registration_code, item.user_unit_code, cycle)
            units.setdefault(item.user_unit_code, []).append(due)
    return units


def due_text(*, equipment: Equipment, today: date) -> str:
    """The reminder's words on when: the due date and days left, or how long it is overdue."""
    if equipment.next_due is None:
        return f"上次检验（{equipment.last_inspection}）结论为不合格，须整改后重新报检"
    days = (equipment.next_due - today).days
    if days < 0:
        return f"已超期{-days}天（应于{equipment.next_due}前完成检验）"
    if days == 0:
        return f"{equipment.next_due}（今天到期）"
    return f"{equipment.next_due}（还有{days}天）"


def template_data(*, equipment: Equipment, unit: UserUnit, today: date) -> dict[str, str]:
    """The template's fields: the heading, the unit, the equipment, when it is due, a remark."""
    variety = BY_CODE[equipment.variety_code].name
    return {
        "first": HEADING,
        "unit": unit.name,
        "equipment": f"{variety} {equipment.registration_code}（{equipment.address}）",
        "due": due_text(equipment=equipment, today=today),
        "remark": REMARK,
    }


def _insert_ignoring_duplicates(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` into the reminder table, leaving out those whose key exists; how many
    went in."""
    dialect = session.get_bind().dialect.name
    builders = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
    if dialect not in builders:
        raise RuntimeError(f"reminders need PostgreSQL or SQLite, not {dialect}")
    key = ["registration_code", "due", "citizen_id"]
    added = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        statement = (
            builders[dialect](Reminder).values(chunk).on_conflict_do_nothing(index_elements=key)
        )
        # The ids of the rows that went in: a multi-row INSERT's rowcount is -1 on psycopg.
        added += len(session.execute(statement.returning(col(Reminder.id))).all())
    return added


def plan(session: Session, *, today: date, now: datetime) -> int:
    """Add the reminders due on `today` that do not exist yet (the caller commits); how many."""
    contacts: dict[str, list[str]] = {}
    for contact in session.exec(select(Contact).order_by(col(Contact.citizen_id))):
        contacts.setdefault(contact.unit_code, []).append(contact.citizen_id)
    candidates = session.exec(
        select(Equipment).where(
            col(Equipment.user_unit_code).in_(select(Contact.unit_code)),
            col(Equipment.status) == "在用",
            or_(
                col(Equipment.next_due) <= today + WITHIN,
                col(Equipment.next_due).is_(None) & col(Equipment.last_inspection).isnot(None),
            ),
        )
    ).all()
    units = due_by_unit(candidates, today=today)
    rows = [
        {
            "registration_code": item.registration_code,
            "due": item.cycle,
            "citizen_id": citizen_id,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for unit_code, items in units.items()
        for item in items
        for citizen_id in contacts[unit_code]
    ]
    return _insert_ignoring_duplicates(session, rows) if rows else 0


@dataclass(frozen=True)
class DeliveryReport:
    """What one or more delivery passes did."""

    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0  # no longer applying: not sent, and never will be

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.retrying + other.retrying,
            self.skipped + other.skipped,
        )


@dataclass(frozen=True)
class ReminderSender:
    """Posts pending reminders to the gateway; every method blocks (the app runs it in a thread).
    `transport` replaces the network (tests)."""

    engine: Engine
    channel: TemplateChannel
    max_attempts: int
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_settings(cls, settings: InspectionSettings, engine: Engine) -> ReminderSender:
        """The sender the inspection settings describe."""
        channel = TemplateChannel(
            gateway_url=settings.gateway_url,
            secret=settings.shared.internal_token_secret,
            caller="inspection",
            account=ACCOUNT,
            template_id=settings.reminder_template_id,
            timeout=settings.reminder_timeout_seconds,
            backoff_base=settings.reminder_backoff_base_seconds,
            backoff_max=settings.reminder_backoff_max_seconds,
        )
        return cls(engine, channel, settings.reminder_max_attempts)

    def deliver_due(self, *, now: datetime | None = None) -> DeliveryReport:
        """Passes over the reminders due at `now` until none is left to claim."""
        now = now or utcnow()
        report = DeliveryReport()
        with self.channel.client(self.transport) as http:
            while claimed := self._claim(now):
                for reminder in claimed:
                    report += self._deliver(http, reminder, now=now)
        return report

    def _claim(self, now: datetime) -> list[Reminder]:
        """The pending reminders this pass took the lease on (detached copies)."""
        pending = col(Reminder.state) == "pending"
        lease = self.channel.lease_for(BATCH)
        return claim_due(
            self.engine, Reminder, undelivered=pending, now=now, lease=lease, limit=BATCH
        )

    def _deliver(self, http: httpx.Client, reminder: Reminder, *, now: datetime) -> DeliveryReport:
        """Send one claimed reminder, unless it no longer applies, and record the outcome."""
        with Session(self.engine) as session:
            equipment = session.get(Equipment, reminder.registration_code)
            assert equipment is not None  # a foreign key
            unit = session.get(UserUnit, equipment.user_unit_code)
            assert unit is not None  # a foreign key
            contact = session.exec(
                select(Contact).where(
                    Contact.citizen_id == reminder.citizen_id, Contact.unit_code == unit.credit_code
                )
            ).first()
        if cycle_of(equipment) != reminder.due:
            return self._skip(reminder, why="不再适用：设备已检验、停用或报废")
        if contact is None:
            return self._skip(reminder, why="不再适用：已不是使用单位的联系人")
        data = template_data(equipment=equipment, unit=unit, today=local_day(now))
        posted = self.channel.post(http, recipient={"citizen_id": reminder.citizen_id}, data=data)
        return self._settle(reminder, error=posted.error, final=posted.final, now=now)

    def _skip(self, reminder: Reminder, *, why: str) -> DeliveryReport:
        """Close a reminder that no longer applies, unsent (failed, saying why)."""
        with Session(self.engine) as session:
            session.execute(
                update(Reminder)
                .where(col(Reminder.id) == reminder.id)
                .values(state="failed", last_error=why)
            )
            session.commit()
        return DeliveryReport(skipped=1)

    def _settle(
        self, reminder: Reminder, *, error: str | None, final: bool, now: datetime
    ) -> DeliveryReport:
        """Record one attempt: delivered, failed for good, or due again after the backoff."""
        attempts = reminder.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if error is None:
            values |= {"state": "delivered", "delivered_at": utcnow()}
            outcome = DeliveryReport(delivered=1)
        elif final or attempts >= self.max_attempts:
            values["state"] = "failed"
            outcome = DeliveryReport(failed=1)
        else:
            values["next_attempt_at"] = now + self.channel.retry_after(attempts)
            outcome = DeliveryReport(retrying=1)
        if error is not None:
            # No citizen id in the log: the row keeps it.
            log.warning(
                "inspection reminder not delivered",
                extra={
                    "reminder_id": reminder.id,
                    "attempts": attempts,
                    "state": values.get("state", "pending"),
                    "reason": error.partition(":")[0],
                },
            )
        with Session(self.engine) as session:
            session.execute(
                update(Reminder).where(col(Reminder.id) == reminder.id).values(**values)
            )
            session.commit()
        return outcome


@dataclass(frozen=True)
class RunReport:
    """One run of the job: reminders planned, then the delivery passes' outcome."""

    planned: int
    delivery: DeliveryReport

    def summary(self) -> str:
        """One line for people."""
        d = self.delivery
        return (
            f"reminders: {self.planned} planned, {d.delivered} delivered, "
            f"{d.failed} failed, {d.retrying} retrying, {d.skipped} no longer applying"
        )


def run_once(sender: ReminderSender, *, today: date, now: datetime) -> RunReport:
    """Plan the reminders due on `today` (committed), then deliver those due at `now`."""
    with Session(sender.engine) as session:
        planned = plan(session, today=today, now=now)
        session.commit()
    return RunReport(planned, sender.deliver_due(now=now))
