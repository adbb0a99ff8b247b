"""Inspection tables and API models.

Dates are calendar days in Asia/Shanghai. User units are companies (never persons): their names
and unified social credit codes are public business registrations, shown unmasked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, DateTime, Index, String, UniqueConstraint, text
from sqlmodel import Field

from inspection import openapi_examples as examples
from inspection.intervals import Conclusion
from servicekit.access_log import AccessLogBase
from servicekit.audit import AuditEntryBase
from servicekit.bindings import BindingFailureBase
from servicekit.clock import LocalTime
from servicekit.db import table_base

Table = table_base()

Status = Literal["在用", "停用", "报废"]
# An application's states, in order (inspection.applications moves them one step at a time).
ApplicationState = Literal["受理", "已排期", "检验中", "出具报告"]
ReminderState = Literal["pending", "delivered", "failed"]
# SQL of an application still open, for the partial unique index of one open per equipment.
OPEN_APPLICATION = "state <> '出具报告'"


class UserUnit(Table, table=True):
    """A company using registered equipment (使用单位)."""

    __tablename__ = "user_unit"

    credit_code: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=64)
    town: str = Field(max_length=32, description="the division code of its address")


class Equipment(Table, table=True):
    """One registered piece of special equipment and its standing."""

    registration_code: str = Field(primary_key=True, max_length=20)
    certificate_number: str = Field(max_length=20, unique=True)
    variety_code: str = Field(max_length=4)
    user_unit_code: str = Field(foreign_key="user_unit.credit_code", max_length=18, index=True)
    address: str = Field(max_length=128)
    town: str = Field(max_length=32)
    in_service: date
    last_inspection: date | None = None
    conclusion: str | None = Field(default=None, max_length=8)
    safety_level: int | None = None
    next_due: date | None = Field(default=None, index=True)
    status: Status = Field(sa_column=Column(String(4), nullable=False))


class EquipmentPublic(BaseModel):
    """What anyone may read of a piece of equipment: its 注册代码 and 使用登记证编号, category
    (电梯…) and variety (曳引驱动乘客电梯…), the user unit's name, the town and the place of use,
    and its standing."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.EQUIPMENT]})
    registration_code: str
    certificate_number: str
    category: str
    variety: str
    user_unit: str
    town: str
    address: str
    status: Status = PydanticField(description="设备状态：在用、停用、报废")
    last_inspection: date | None = PydanticField(description="上次定期检验日期；未检验过为空")
    conclusion: str | None = PydanticField(description="上次检验结论")
    safety_level: int | None = PydanticField(description="压力容器安全状况等级（1-5级）")
    next_due: date | None = PydanticField(description="下次检验日期；检验不合格或报废为空")
    overdue: bool = PydanticField(description="在用且已过下次检验日期，或检验不合格仍登记在用")


class LiftCard(BaseModel):
    """What a lift's rider sees on the card in the car (电梯使用标志)."""

    registration_code: str = PydanticField(description="注册代码")
    variety: str
    user_unit: str = PydanticField(description="使用单位")
    address: str
    next_due: date | None = PydanticField(description="下次检验日期")
    usable: bool = PydanticField(description="在用、检验合格且未过期")
    notice: str = PydanticField(description="给乘客的一句话")
    emergency_phone: str = PydanticField(description="电梯应急救援电话")


class Contact(Table, table=True):
    """A citizen's proven link to a user unit as its contact (联系人): they apply for and follow
    its inspections. A unit may have several contacts, a citizen several units."""

    __table_args__ = (UniqueConstraint("citizen_id", "unit_code"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: str = Field(max_length=40, index=True)
    unit_code: str = Field(foreign_key="user_unit.credit_code", max_length=18, index=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


class BindingFailure(Table, BindingFailureBase, table=True):
    """One refused contact-binding proof (servicekit.bindings)."""

    __tablename__ = "binding_failure"


class Application(Table, table=True):
    """An application for a periodic inspection (定期检验报检) of one piece of equipment.

    `number` is public to the unit's contacts (报检编号); `report_code` is the verification code
    printed on the report's summary, the key anyone checks it by. A retry carrying the same
    `Idempotency-Key` from the same citizen finds the application it made (`request_hash`
    tells a retry from another request under a reused key). A piece of equipment has at most
    one open application (not yet 出具报告): a partial unique index holds it under concurrency.
    """

    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key"),
        Index(
            "uq_application_open_equipment",
            "registration_code",
            unique=True,
            sqlite_where=text(OPEN_APPLICATION),
            postgresql_where=text(OPEN_APPLICATION),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, unique=True)
    registration_code: str = Field(foreign_key="equipment.registration_code", max_length=20)
    unit_code: str = Field(foreign_key="user_unit.credit_code", max_length=18, index=True)
    applicant_id: str = Field(max_length=40, index=True, description="the contact who applied")
    idempotency_key: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    preferred_date: date | None = None
    note: str = Field(default="", max_length=200)
    state: ApplicationState = Field(sa_column=Column(String(4), nullable=False, index=True))
    scheduled_date: date | None = None
    inspected_on: date | None = None
    conclusion: str | None = Field(default=None, max_length=8)
    safety_level: int | None = None
    next_due: date | None = None
    report_code: str | None = Field(default=None, max_length=16, unique=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class ApplicationStep(Table, table=True):
    """One state an application entered, when, and the words its contacts see."""

    __tablename__ = "application_step"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    state: ApplicationState = Field(sa_column=Column(String(4), nullable=False))
    at: datetime = Field(sa_type=DateTime(timezone=True))
    remark: str = Field(default="", max_length=200)


class AuditEntry(Table, AuditEntryBase, table=True):
    """One inspector's write (servicekit.audit)."""

    __tablename__ = "audit_entry"


class AccessLog(Table, AccessLogBase, table=True):
    """One read of a citizen's records here: their unit bindings and applications."""

    __tablename__ = "access_log"


class Reminder(Table, table=True):
    """One overdue-inspection reminder: an item, the cycle it is for (the due date it names) and
    a contact. Unique per (item, cycle, contact), so however many job runs race, one row and one
    message exist; delivery is claimed with a lease as traffic's payment notices are."""

    __table_args__ = (UniqueConstraint("registration_code", "due", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    registration_code: str = Field(foreign_key="equipment.registration_code", max_length=20)
    due: date = Field(description="the next due date the reminder is about (the cycle)")
    citizen_id: str = Field(max_length=40, index=True)
    state: ReminderState = Field(sa_column=Column(String(9), nullable=False, index=True))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


# -- contacts API (inspection.contacts) ------------------------------------------------------------


class ContactCreate(BaseModel):
    """The proof that makes a citizen a contact of a user unit: its credit code, its full name and
    the certificate number of one piece of equipment it uses; all three must match the registry."""

    credit_code: str = PydanticField(
        min_length=1,
        max_length=32,
        description="使用单位的统一社会信用代码（18位，含校验码）",
        examples=["91441900MAFJB9QKTT"],
    )
    unit_name: str = PydanticField(
        min_length=1,
        max_length=64,
        description="使用单位全称，与营业执照一致",
        examples=["东莞市新宇食品有限公司"],
    )
    certificate_number: str = PydanticField(
        min_length=1,
        max_length=32,
        description="该单位任一台在册设备的使用登记证编号",
        examples=["梯11粤S00001(15)"],
    )


class ContactPublic(BaseModel):
    """A user unit the citizen is a contact of."""

    id: int = PydanticField(description="绑定编号，解除绑定时使用")
    credit_code: str = PydanticField(description="统一社会信用代码")
    unit_name: str = PydanticField(description="使用单位名称")
    town: str = PydanticField(description="所在镇街")
    created_at: datetime = PydanticField(description="绑定时间")


# -- applications API (inspection.applications) ----------------------------------------------------


class ApplicationCreate(BaseModel):
    """A contact's application for the periodic inspection of one piece of their unit's
    equipment."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.APPLICATION_CREATE]}
    )

    registration_code: str = PydanticField(
        min_length=1,
        max_length=32,
        description="设备注册代码（20位数字），见设备上的使用标志",
        examples=["31104419002015060001"],
    )
    preferred_date: date | None = PydanticField(
        default=None,
        description="希望的检验日期（可选，今天起90天内），检验机构排期时参考",
        examples=["2026-06-25"],
    )
    note: str = PydanticField(
        default="",
        max_length=200,
        description="给检验机构的备注（可选，最多200字），如现场联系人和进场要求",
        examples=["请提前一天电话联系物业管理处"],
    )


class ApplicationStepPublic(BaseModel):
    """One step of an application: the state it entered, when, and what it means for the unit."""

    state: ApplicationState = PydanticField(description="进入的状态")
    at: LocalTime = PydanticField(description="时间（北京时间）")
    remark: str = PydanticField(
        description="给联系人的说明", examples=["已安排于2026年06月20日检验"]
    )


class ApplicationPublic(BaseModel):
    """An application for a periodic inspection as the unit's contacts and inspectors see it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.APPLICATION]})
    number: str = PydanticField(description="报检编号", examples=["BJ20260615000001"])
    registration_code: str = PydanticField(description="设备注册代码")
    category: str = PydanticField(description="设备类别", examples=["电梯"])
    variety: str = PydanticField(description="设备品种", examples=["曳引驱动乘客电梯"])
    address: str = PydanticField(description="设备使用地点")
    town: str = PydanticField(description="所在镇街", examples=["南城街道"])
    user_unit: str = PydanticField(description="使用单位名称")
    state: ApplicationState = PydanticField(description="受理 → 已排期 → 检验中 → 出具报告")
    preferred_date: date | None = PydanticField(description="申请人希望的检验日期")
    note: str = PydanticField(description="申请人的备注")
    scheduled_date: date | None = PydanticField(description="排定的检验日期（已排期起）")
    inspected_on: date | None = PydanticField(description="实际检验日期（出具报告时）")
    conclusion: str | None = PydanticField(description="检验结论（出具报告时）")
    safety_level: int | None = PydanticField(description="压力容器安全状况等级（1-5级）")
    next_due: date | None = PydanticField(description="下次检验日期；结论不合格为空")
    report_code: str | None = PydanticField(description="检验报告验证码（出具报告时）")
    created_at: LocalTime = PydanticField(description="提交时间（北京时间）")
    steps: list[ApplicationStepPublic] = PydanticField(description="办理进度，最早的在前")


class Transition(BaseModel):
    """An inspector moves an application one step forward: `to` is the next state, with what
    that step needs (已排期: `scheduled_date`; 出具报告: `inspected_on`, `conclusion`, and
    `safety_level` for pressure vessels) and nothing else."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to": "已排期", "scheduled_date": "2026-06-20"},
                {"to": "检验中"},
                {"to": "出具报告", "inspected_on": "2026-06-20", "conclusion": "合格"},
            ]
        },
    )

    to: ApplicationState = PydanticField(description="下一个状态（只能前进一步）")
    scheduled_date: date | None = PydanticField(
        default=None, description="检验日期（已排期时必填，今天起90天内）"
    )
    inspected_on: date | None = PydanticField(
        default=None, description="实际检验日期（出具报告时必填，不早于排定日期、不晚于今天）"
    )
    conclusion: Conclusion | None = PydanticField(
        default=None,
        description="检验结论（出具报告时必填）：电梯、起重机械、场（厂）内车辆为合格、复检合格、"
        "不合格；锅炉、压力容器为符合要求、基本符合要求、不符合要求",
    )
    safety_level: int | None = PydanticField(
        default=None, ge=1, le=5, description="安全状况等级（仅压力容器，出具报告时必填，1-5级）"
    )


# -- reports API (inspection.reports) --------------------------------------------------------------


class ReportCheck(BaseModel):
    """What anyone holding a report summary may check by its verification code: the report as
    issued, and whether the equipment's registered standing still rests on it. Units and
    registration codes are public business data; who applied is never shown."""

    code: str = PydanticField(description="验证码（四位一组）")
    number: str = PydanticField(description="报告编号（即报检编号）")
    registration_code: str = PydanticField(description="注册代码")
    certificate_number: str = PydanticField(description="使用登记证编号")
    category: str
    variety: str
    user_unit: str = PydanticField(description="使用单位")
    unit_code: str = PydanticField(description="使用单位统一社会信用代码")
    town: str
    address: str = PydanticField(description="设备使用地点")
    inspected_on: date = PydanticField(description="检验日期")
    conclusion: str = PydanticField(description="检验结论")
    safety_level: int | None = PydanticField(description="压力容器安全状况等级（1-5级）")
    next_due: date | None = PydanticField(description="下次检验日期；不合格为空")
    issued_at: datetime = PydanticField(description="出具时间（北京时间）")
    issuer: str = PydanticField(description="检验机构")
    current: bool = PydanticField(
        description="设备现登记的检验日期与结论仍为本报告（之后未再检验，登记未被更改）"
    )
    standing: str = PydanticField(description="设备现状的一句话说明，如本报告已被之后的检验取代")
