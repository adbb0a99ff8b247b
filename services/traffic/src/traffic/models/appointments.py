"""Appointments (车驾管业务预受理): offices, businesses, slots and bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import JSON, CheckConstraint, DateTime, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from servicekit.deps import MAX_ID
from traffic import openapi_examples as examples
from traffic.models.base import Table

AppointmentStatus = Literal["booked", "cancelled"]


class OfficeBase(SQLModel):
    name: str = Field(max_length=60, description="办理点名称")
    kind: str = Field(max_length=16, description="车管所 | 分所 | 服务站")
    town: str = Field(max_length=16, description="所在镇街")
    address: str = Field(max_length=120)
    phone: str = Field(max_length=20)
    hours: str = Field(max_length=120, description="办公时间")


class Office(Table, OfficeBase, table=True):
    """A vehicle administration office (车管所 or a branch) taking appointments."""

    code: str = Field(primary_key=True, max_length=24)
    opens_saturday: bool = Field(description="周六上午是否开放预约")
    slot_capacity: int = Field(description="每个预约时段的名额")


class OfficePublic(OfficeBase):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.OFFICE]})
    code: str


class AppointmentBusinessBase(SQLModel):
    name: str = Field(max_length=40, description="业务名称")
    category: str = Field(max_length=16, description="驾驶证业务 | 机动车业务")
    description: str = Field(max_length=200)
    materials: list[str] = Field(sa_type=JSON, description="需携带的材料")


class AppointmentBusiness(Table, AppointmentBusinessBase, table=True):
    """A kind of counter business that can be booked."""

    __tablename__ = "appointment_business"
    code: str = Field(primary_key=True, max_length=32)


class AppointmentBusinessPublic(AppointmentBusinessBase):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BUSINESS]})
    code: str


class AppointmentSlot(Table, table=True):
    """An hour at an office with a number of places; `booked` never exceeds `capacity`."""

    __tablename__ = "appointment_slot"
    __table_args__ = (
        UniqueConstraint("office_code", "starts_at", name="uq_appointment_slot_office_start"),
        # The last guard: even a buggy path cannot overbook or go below zero.
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )
    id: int | None = Field(default=None, primary_key=True)
    office_code: str = Field(foreign_key="office.code", max_length=24)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=DateTime(timezone=True))
    capacity: int
    booked: int = 0


class SlotPublic(SQLModel):
    """A bookable hour and the places left."""

    id: int
    office_code: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    remaining: int = Field(description="剩余名额")


class Appointment(Table, table=True):
    """A citizen's booking of a slot for one business; the Idempotency-Key makes retries safe."""

    __table_args__ = (
        UniqueConstraint("citizen_id", "idempotency_key", name="uq_appointment_citizen_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # Indexed by the unique key below, which it leads.
    citizen_id: str = Field(max_length=40)
    slot_id: int = Field(foreign_key="appointment_slot.id", index=True)
    business_code: str = Field(foreign_key="appointment_business.code", max_length=32)
    # A Literal has no SQL type of its own: the column stays VARCHAR(16).
    status: AppointmentStatus = Field(
        sa_type=AutoString(length=16), description="booked | cancelled"
    )
    idempotency_key: str = Field(max_length=64)
    request_hash: str = Field(max_length=64, description="请求体的 SHA-256，判断重复请求")
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AppointmentCreate(SQLModel):
    """Book a slot (see /v1/offices/{code}/slots) for a business (/v1/appointment-businesses)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.APPOINTMENT_CREATE]})
    slot_id: int = Field(ge=1, le=MAX_ID)
    business_code: str = Field(max_length=32)


class AppointmentPublic(SQLModel):
    """A booking as its citizen sees it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.APPOINTMENT]})
    id: int
    number: str = Field(description="预约号，到窗口出示")
    status: AppointmentStatus
    business: AppointmentBusinessPublic
    office: OfficePublic
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    cancelled_at: datetime | None = None
