"""Appointments (车驾管业务预受理): offices, businesses and slots (public), bookings (`/v1/me`)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col

from servicekit.clock import NowDep
from servicekit.deps import Id, Page, PageDep, SessionDep, paginate
from servicekit.idempotency import idempotency_header
from servicekit.identity import CitizenDep
from traffic.access import ACCESS_LOG
from traffic.appointments import (
    book,
    bookings_query,
    cancel,
    my_booking,
    office_slots_query,
)
from traffic.models import (
    Appointment,
    AppointmentBusiness,
    AppointmentBusinessPublic,
    AppointmentCreate,
    AppointmentPublic,
    AppointmentSlot,
    Office,
    OfficePublic,
    SlotPublic,
)
from traffic.reference import code_page
from traffic.routes.creation import created
from traffic.views import booking_public, bookings_public, slots_public

router = APIRouter(prefix="/v1", tags=["appointments"])
me_router = APIRouter(prefix="/v1/me/appointments", tags=["appointments"])
BookingKey = Annotated[str, idempotency_header("客户端生成的唯一键；重试时用同一键，返回同一预约")]
BOOKING_ERRORS = {
    404: "时段或业务不存在",
    409: "时段已满或已开始、同一时段已有预约，或 Idempotency-Key 用于另一请求",
    422: "缺少 Idempotency-Key 或请求体无效",
}


@router.get("/offices", summary="车管所与分所")
def list_offices(session: SessionDep, page: PageDep) -> Page[OfficePublic]:
    """Offices taking appointments, with addresses and hours."""
    return code_page(session, page, table=Office, public=OfficePublic)


@router.get("/appointment-businesses", summary="可预约的业务及所需材料")
def list_businesses(session: SessionDep, page: PageDep) -> Page[AppointmentBusinessPublic]:
    """Businesses that can be booked, each with the materials to bring."""
    return code_page(session, page, table=AppointmentBusiness, public=AppointmentBusinessPublic)


@router.get("/offices/{office_code}/slots", summary="可预约时段")
def list_slots(
    office_code: str,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    day: Annotated[date | None, Query(description="只看这一天（YYYY-MM-DD）")] = None,
    available: Annotated[bool, Query(description="只看尚有名额的时段")] = False,
) -> Page[SlotPublic]:
    """Slots of an office that have not started yet, earliest first, with places left."""
    query = office_slots_query(
        session, office_code=office_code, now=now, day=day, available=available
    )
    return paginate(
        session, query, page, order_by=col(AppointmentSlot.starts_at), public=slots_public
    )


@me_router.get("", summary="我的预约", dependencies=[ACCESS_LOG.logs("appointments")])
def list_my_appointments(
    citizen: CitizenDep, session: SessionDep, page: PageDep
) -> Page[AppointmentPublic]:
    """The calling citizen's appointments, latest slot first, cancelled ones included."""
    return paginate(
        session,
        bookings_query(citizen_id=citizen.subject),
        page,
        order_by=col(Appointment.id).desc(),
        public=bookings_public,
    )


@created(me_router, "", summary="预约业务", errors=BOOKING_ERRORS)
def create_appointment(
    body: AppointmentCreate,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: BookingKey,
) -> AppointmentPublic:
    """Book a place in a slot; a retry with the same key and body returns the same booking."""
    booking, _new = book(
        session, citizen_id=citizen.subject, body=body, idempotency_key=idempotency_key, now=now
    )
    return booking_public(booking)


@me_router.get(
    "/{appointment_id}",
    summary="预约详情",
    dependencies=[ACCESS_LOG.logs("appointments", "预约详情")],
)
def get_my_appointment(
    appointment_id: Id, citizen: CitizenDep, session: SessionDep
) -> AppointmentPublic:
    """One of the calling citizen's appointments."""
    return booking_public(
        my_booking(session, citizen_id=citizen.subject, appointment_id=appointment_id)
    )


@me_router.post(
    "/{appointment_id}/cancel",
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
