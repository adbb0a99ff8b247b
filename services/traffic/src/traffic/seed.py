"""Deterministic demo data: the violation codes and the population of `traffic.population`.

Idempotent: codes, offices, businesses and guides are upserted; the population is inserted only
into a database without it, so records citizens changed since (decisions, studies, bindings) are
never overwritten; appointment slots are added for the two weeks from the anchor where missing,
so seeding again (as `make run` does) tops the bookable days up without touching bookings.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from servicekit.clock import SHANGHAI, as_utc, today, utcnow
from traffic.appointments import BOOKING_DAYS, slots_to_create
from traffic.catalogue import BUSINESSES, GUIDES, OFFICES
from traffic.models import (
    AppointmentBusiness,
    AppointmentSlot,
    Binding,
    DriverLicence,
    FullScoreRecord,
    Guide,
    Office,
    PenaltyDecision,
    Vehicle,
    Violation,
    ViolationCode,
)
from traffic.penalties import decision_number, due_date
from traffic.population import DEMO_PEOPLE, generate_population
from traffic.reference import violation_codes


def seed_codes(session: Session) -> str:
    """Insert or update every violation code of the reference table."""
    for row in violation_codes():
        # The reference row has exactly the table's columns.
        session.merge(ViolationCode(**asdict(row)))
    session.commit()
    return f"{len(violation_codes())} violation codes"


def _insert_returning_ids(session: Session, table: type, rows: list[dict]) -> list[int]:
    """Bulk-insert `rows` and return their new ids in the same order."""
    if not rows:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)
    return [row_id for (row_id,) in session.execute(statement, rows).all()]


def seed_population(session: Session, *, anchor: date) -> str:
    """Insert the population anchored on `anchor`, unless the database already has it."""
    demo_plate = DEMO_PEOPLE[0].plate
    if session.exec(select(Vehicle.id).where(Vehicle.plate == demo_plate)).first() is not None:
        count = session.exec(select(func.count()).select_from(Vehicle)).one()
        return f"population already present ({count} vehicles)"
    population = generate_population(anchor=anchor)
    licence_ids = _insert_returning_ids(session, DriverLicence, population.licences)
    vehicle_ids = _insert_returning_ids(session, Vehicle, population.vehicles)
    violation_ids = _insert_returning_ids(
        session,
        Violation,
        [
            {
                **{k: v for k, v in row.items() if k != "vehicle"},
                "vehicle_id": vehicle_ids[row["vehicle"]],
            }
            for row in population.violations
        ],
    )
    decisions = []
    for row in population.decisions:
        violation_id = violation_ids[row["violation"]]
        decisions.append(
            {
                "number": decision_number(decided_on=row["decided_on"], serial=violation_id),
                "violation_id": violation_id,
                "licence_id": licence_ids[row["licence"]],
                "fine_fen": row["fine_fen"],
                "points": row["points"],
                "decided_on": row["decided_on"],
                "due_on": due_date(decided_on=row["decided_on"]),
                "paid_on": row["paid_on"],
                "paid_fen": row["paid_fen"],
            }
        )
    session.execute(insert(PenaltyDecision), decisions)
    now = utcnow()
    bindings = []
    for citizen_id, vehicle, licence in population.bindings:
        bindings.append(
            {"citizen_id": citizen_id, "vehicle_id": vehicle_ids[vehicle], "created_at": now}
        )
        bindings.append(
            {"citizen_id": citizen_id, "licence_id": licence_ids[licence], "created_at": now}
        )
    session.execute(insert(Binding), bindings)
    full_scores = [
        {"licence_id": licence_ids[licence], "reached_on": day, "points": 12}
        for licence, day in population.full_scores
    ]
    session.execute(insert(FullScoreRecord), full_scores)
    session.commit()
    return (
        f"{len(vehicle_ids)} vehicles, {len(licence_ids)} licences, "
        f"{len(violation_ids)} violations, {len(decisions)} decisions "
        f"(anchored on {anchor.isoformat()}), {len(bindings)} demo bindings"
    )


def seed_catalogue(session: Session) -> str:
    """Insert or update the offices, bookable businesses and guides."""
    for office in OFFICES:
        session.merge(Office(**office))
    for business in BUSINESSES:
        session.merge(AppointmentBusiness(**business))
    for guide in GUIDES:
        session.merge(Guide(**guide))
    session.commit()
    return f"{len(OFFICES)} offices, {len(BUSINESSES)} businesses, {len(GUIDES)} guides"


def seed_slots(session: Session, *, start: date) -> str:
    """Add the appointment slots missing for the two weeks from `start`; booked ones stay."""
    offices = list(session.exec(select(Office)).all())
    since = as_utc(datetime.combine(start, time(), SHANGHAI))
    existing = {
        (code, as_utc(starts))
        for code, starts in session.exec(
            select(AppointmentSlot.office_code, AppointmentSlot.starts_at).where(
                col(AppointmentSlot.starts_at) >= since
            )
        ).all()
    }
    rows = slots_to_create(offices=offices, start=start, days=BOOKING_DAYS, existing=existing)
    if rows:
        session.execute(insert(AppointmentSlot), rows)
    session.commit()
    return f"{len(rows)} new appointment slots"


def seed_at(session: Session, *, anchor: date) -> str:
    """Seed codes, catalogue, the population and slots anchored on `anchor`."""
    return (
        f"traffic: {seed_codes(session)}; {seed_population(session, anchor=anchor)}; "
        f"{seed_catalogue(session)}; {seed_slots(session, start=anchor)}"
    )


def seed(session: Session) -> str:
    """Seed everything, the population anchored on today (Asia/Shanghai)."""
    return seed_at(session, anchor=today())
