"""Appointments (车驾管业务预受理): booking an hour at a vehicle administration office.

Capacity holds under concurrency because a booking takes its place with one conditional UPDATE
(`booked = booked + 1 WHERE booked < capacity`): PostgreSQL locks the slot row and re-checks the
condition for each waiting updater, SQLite serialises writers, and a CHECK constraint backs it
up. The appointment is inserted in the same transaction, so a failed insert gives the place back.

`Idempotency-Key` (DESIGN §5): the key is stored with a hash of the request body, unique per
citizen. The same key with the same body returns the original booking (also when two retries
race: the loser's insert violates the unique key, rolls back, and reads the winner's); the same
key with another body is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from servicekit.clock import SHANGHAI, as_utc, local_day
from servicekit.errors import Conflict, NotFound
from servicekit.idempotency import made_earlier, request_hash
from traffic.models import (
    Appointment,
    AppointmentBusiness,
    AppointmentCreate,
    AppointmentSlot,
    Office,
)

# Bookable hours of a working day (local time); Saturday mornings only at offices open then.
WEEKDAY_HOURS = (time(9), time(10), time(11), time(14), time(15), time(16))
SATURDAY_HOURS = (time(9), time(10), time(11))
BOOKING_DAYS = 14


@dataclass(frozen=True)
class Booking:
    """An appointment with its slot, office and business."""

    appointment: Appointment
    slot: AppointmentSlot
    office: Office
    business: AppointmentBusiness


def slot_hours(*, day: date, opens_saturday: bool) -> tuple[time, ...]:
    """The hours that can be booked on `day` (none on Sundays, Saturdays only where open)."""
    weekday = day.weekday()
    if weekday < 5:
        return WEEKDAY_HOURS
    if weekday == 5 and opens_saturday:
        return SATURDAY_HOURS
    return ()


def appointment_number(*, appointment_id: int, starts_at: datetime) -> str:
    """The number a citizen shows at the counter: the day of the slot and the booking's id."""
    return f"YY{local_day(starts_at):%Y%m%d}{appointment_id:06d}"


def slots_to_create(
    *, offices: list[Office], start: date, days: int, existing: set[tuple[str, datetime]]
) -> list[dict]:
    """Rows of the slots missing for `days` days from `start` (UTC times)."""
    rows = []
    for office in offices:
        for offset in range(days):
            day = start + timedelta(days=offset)
            for hour in slot_hours(day=day, opens_saturday=office.opens_saturday):
                starts = datetime.combine(day, hour, SHANGHAI)
                key = (office.code, as_utc(starts))
                if key in existing:
                    continue
                rows.append(
                    {
                        "office_code": office.code,
                        "starts_at": as_utc(starts),
                        "ends_at": as_utc(starts + timedelta(hours=1)),
                        "capacity": office.slot_capacity,
                        "booked": 0,
                    }
                )
    return rows


def _booking(session: Session, appointment: Appointment) -> Booking:
    slot = session.get(AppointmentSlot, appointment.slot_id)
    business = session.get(AppointmentBusiness, appointment.business_code)
    assert slot is not None and business is not None
    office = session.get(Office, slot.office_code)
    assert office is not None
    return Booking(appointment=appointment, slot=slot, office=office, business=business)


def _take_place(session: Session, slot_id: int | None) -> None:
    """Take one place in the slot (not committed), or 409 when it is full."""
    taken = session.execute(
        update(AppointmentSlot)
        .where(
            col(AppointmentSlot.id) == slot_id,
            col(AppointmentSlot.booked) < col(AppointmentSlot.capacity),
        )
        .values(booked=col(AppointmentSlot.booked) + 1)
    )
    if taken.rowcount != 1:
        session.rollback()
        raise Conflict("该时段已约满，请选择其他时段。")


def _replay(session: Session, *, citizen_id: str, key: str, digest: str) -> Booking | None:
    """The booking made earlier with this key, or None; 409 if it was made with another body."""
    earlier = made_earlier(
        session,
        Appointment,
        owner=col(Appointment.citizen_id) == citizen_id,
        key=key,
        digest=digest,
        reused="该 Idempotency-Key 已用于另一份预约请求，请为新的预约使用新的键。",
    )
    return None if earlier is None else _booking(session, earlier)


def book(
    session: Session,
    *,
    citizen_id: str,
    body: AppointmentCreate,
    idempotency_key: str,
    now: datetime,
) -> tuple[Booking, bool]:
    """Book a place; (the booking, True if newly made or False if replayed for the same key)."""
    digest = request_hash(body=body)
    earlier = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest)
    if earlier is not None:
        return earlier, False
    business = session.get(AppointmentBusiness, body.business_code)
    if business is None:
        raise NotFound(f"未找到预约业务“{body.business_code}”，请查看 /v1/appointment-businesses。")
    slot = session.get(AppointmentSlot, body.slot_id)
    if slot is None:
        raise NotFound("未找到该预约时段。")
    if as_utc(slot.starts_at) <= now:
        raise Conflict("该时段已开始或已过去，请选择其他时段。")
    held = session.exec(
        select(Appointment.id).where(
            Appointment.citizen_id == citizen_id,
            Appointment.slot_id == slot.id,
            Appointment.status == "booked",
        )
    ).first()
    if held is not None:
        raise Conflict("您在该时段已有预约。")
    _take_place(session, slot.id)
    appointment = Appointment(
        citizen_id=citizen_id,
        slot_id=body.slot_id,
        business_code=business.code,
        status="booked",
        idempotency_key=idempotency_key,
        request_hash=digest,
        created_at=now,
    )
    session.add(appointment)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key won; the rollback returned our place.
        session.rollback()
        earlier = _replay(session, citizen_id=citizen_id, key=idempotency_key, digest=digest)
        if earlier is None:
            raise
        return earlier, False
    session.refresh(appointment)
    return _booking(session, appointment), True


def offices_query() -> Select[Any]:
    """Offices taking appointments."""
    return select(Office)


def businesses_query() -> Select[Any]:
    """Businesses that can be booked."""
    return select(AppointmentBusiness)


def office_slots_query(
    session: Session, *, office_code: str, now: datetime, day: date | None, available: bool
) -> Select[Any]:
    """Slots of an office that have not started yet, on `day` if given, with places left if
    `available`; 404 for an unknown office."""
    if session.get(Office, office_code) is None:
        raise NotFound(f"未找到办理点“{office_code}”，请查看 /v1/offices。")
    query = select(AppointmentSlot).where(
        AppointmentSlot.office_code == office_code, col(AppointmentSlot.starts_at) > now
    )
    if day is not None:
        start = as_utc(datetime.combine(day, time(), SHANGHAI))
        query = query.where(
            col(AppointmentSlot.starts_at) >= start,
            col(AppointmentSlot.starts_at) < start + timedelta(days=1),
        )
    if available:
        query = query.where(col(AppointmentSlot.booked) < col(AppointmentSlot.capacity))
    return query


def bookings_query(*, citizen_id: str) -> Select[Any]:
    """The citizen's appointments with slot, office and business (rows in `Booking`'s order),
    latest slot first; order by `Appointment.id` descending after it."""
    return (
        select(Appointment, AppointmentSlot, Office, AppointmentBusiness)
        .join(AppointmentSlot, col(AppointmentSlot.id) == Appointment.slot_id)
        .join(Office, col(Office.code) == AppointmentSlot.office_code)
        .join(AppointmentBusiness, col(AppointmentBusiness.code) == Appointment.business_code)
        .where(Appointment.citizen_id == citizen_id)
        .order_by(col(AppointmentSlot.starts_at).desc())
    )


def my_bookings(session: Session, *, citizen_id: str) -> list[Booking]:
    """The citizen's appointments, latest slot first."""
    rows = session.exec(
        bookings_query(citizen_id=citizen_id).order_by(col(Appointment.id).desc())
    ).all()
    return [Booking(*row) for row in rows]


def my_booking(session: Session, *, citizen_id: str, appointment_id: int) -> Booking:
    """One of the citizen's appointments; another citizen's is as unknown as a missing one."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.citizen_id != citizen_id:
        raise NotFound("未找到该预约。")
    return _booking(session, appointment)


def cancel(session: Session, *, citizen_id: str, appointment_id: int, now: datetime) -> Booking:
    """Cancel a booking before its slot starts and give its place back."""
    booking = my_booking(session, citizen_id=citizen_id, appointment_id=appointment_id)
    if as_utc(booking.slot.starts_at) <= now:
        raise Conflict("预约时段已开始或已过去，不能取消。")
    # Conditional on the status, so two cancellations at once give the place back only once.
    changed = session.execute(
        update(Appointment)
        .where(col(Appointment.id) == appointment_id, col(Appointment.status) == "booked")
        .values(status="cancelled", cancelled_at=now)
    )
    if changed.rowcount != 1:
        session.rollback()
        raise Conflict("该预约已取消。")
    session.execute(
        update(AppointmentSlot)
        .where(col(AppointmentSlot.id) == booking.slot.id)
        .values(booked=col(AppointmentSlot.booked) - 1)
    )
    session.commit()
    session.refresh(booking.appointment)
    session.refresh(booking.slot)
    return booking
