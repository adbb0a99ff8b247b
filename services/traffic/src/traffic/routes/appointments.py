"""Appointments (车驾管业务预受理): offices, businesses and slots (public), bookings (`/v1/me`)."""

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from sqlmodel import col, func, select

from servicekit.clock import SHANGHAI, NowDep, as_utc, local
from servicekit.deps import Id, Page, PageDep, SessionDep, paginate
from servicekit.errors import NotFound
from servicekit.identity import CitizenDep
from traffic.appointments import Booking, appointment_number, book, cancel, my_booking, my_bookings
from traffic.models import (
    AppointmentBusiness,
    AppointmentBusinessPublic,
    AppointmentCreate,
    AppointmentPublic,
    AppointmentSlot,
    Office,
    OfficePublic,
    SlotPublic,
)

router = APIRouter(prefix="/v1", tags=["appointments"])
me_router = APIRouter(prefix="/v1/me/appointments", tags=["appointments"])


def booking_public(booking: Booking) -> AppointmentPublic:
    """A booking as its citizen sees it."""
    appointment, slot = booking.appointment, booking.slot
    assert appointment.id is not None
    return AppointmentPublic(
        id=appointment.id,
        number=appointment_number(appointment_id=appointment.id, starts_at=slot.starts_at),
        status="cancelled" if appointment.status == "cancelled" else "booked",
        business=AppointmentBusinessPublic.model_validate(booking.business, from_attributes=True),
        office=OfficePublic.model_validate(booking.office, from_attributes=True),
        starts_at=local(slot.starts_at),
        ends_at=local(slot.ends_at),
        created_at=local(appointment.created_at),
        cancelled_at=None if appointment.cancelled_at is None else local(appointment.cancelled_at),
    )


@router.get("/offices", response_model=Page[OfficePublic], summary="车管所与分所")
def list_offices(session: SessionDep, page: PageDep) -> Page[OfficePublic]:
    """Offices taking appointments, with addresses and hours."""
    return paginate(session, select(Office), page, order_by=Office.code, public=OfficePublic)


@router.get(
    "/appointment-businesses",
    response_model=Page[AppointmentBusinessPublic],
    summary="可预约的业务及所需材料",
)
def list_businesses(session: SessionDep, page: PageDep) -> Page[AppointmentBusinessPublic]:
    """Businesses that can be booked, each with the materials to bring."""
    return paginate(
        session,
        select(AppointmentBusiness),
        page,
        order_by=AppointmentBusiness.code,
        public=AppointmentBusinessPublic,
    )


@router.get("/offices/{office_code}/slots", response_model=Page[SlotPublic], summary="可预约时段")
def list_slots(
    office_code: str,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    day: Annotated[date | None, Query(description="只看这一天（YYYY-MM-DD）")] = None,
    available: Annotated[bool, Query(description="只看尚有名额的时段")] = False,
) -> Page[SlotPublic]:
    """Slots of an office that have not started yet, earliest first, with places left."""
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
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    slots = session.exec(
        query.order_by(col(AppointmentSlot.starts_at)).offset(page.offset).limit(page.limit)
    ).all()
    return Page(
        items=[
            SlotPublic(
                id=s.id,
                office_code=s.office_code,
                starts_at=local(s.starts_at),
                ends_at=local(s.ends_at),
                capacity=s.capacity,
                remaining=s.capacity - s.booked,
            )
            for s in slots
            if s.id is not None
        ],
        total=total,
    )


@me_router.get("", response_model=Page[AppointmentPublic], summary="我的预约")
def list_my_appointments(
    citizen: CitizenDep, session: SessionDep, page: PageDep
) -> Page[AppointmentPublic]:
    """The calling citizen's appointments, latest slot first, cancelled ones included."""
    bookings = my_bookings(session, citizen_id=citizen.subject)
    return Page(
        items=[booking_public(b) for b in bookings[page.offset : page.offset + page.limit]],
        total=len(bookings),
    )


@me_router.post(
    "",
    response_model=AppointmentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="预约业务",
    responses={
        404: {"description": "时段或业务不存在"},
        409: {"description": "时段已满或已开始、同一时段已有预约，或 Idempotency-Key 用于另一请求"},
        422: {"description": "缺少 Idempotency-Key 或请求体无效"},
    },
)
def create_appointment(
    body: AppointmentCreate,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=64,
            description="客户端生成的唯一键；重试时用同一键，返回同一预约",
        ),
    ],
) -> AppointmentPublic:
    """Book a place in a slot; a retry with the same key and body returns the same booking."""
    booking, _new = book(
        session, citizen_id=citizen.subject, body=body, idempotency_key=idempotency_key, now=now
    )
    return booking_public(booking)


@me_router.get("/{appointment_id}", response_model=AppointmentPublic, summary="预约详情")
def get_my_appointment(
    appointment_id: Id, citizen: CitizenDep, session: SessionDep
) -> AppointmentPublic:
    """One of the calling citizen's appointments."""
    return booking_public(
        my_booking(session, citizen_id=citizen.subject, appointment_id=appointment_id)
    )


@me_router.post(
    "/{appointment_id}/cancel",
    response_model=AppointmentPublic,
    summary="取消预约",
    responses={404: {"description": "不是本人的预约"}, 409: {"description": "已取消或已开始"}},
)
def cancel_my_appointment(
    appointment_id: Id, citizen: CitizenDep, session: SessionDep, now: NowDep
) -> AppointmentPublic:
    """Cancel one of the calling citizen's appointments before it starts; its place is freed."""
    return booking_public(
        cancel(session, citizen_id=citizen.subject, appointment_id=appointment_id, now=now)
    )
