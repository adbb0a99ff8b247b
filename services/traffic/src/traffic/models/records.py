"""Vehicles, licences, violations, decisions, bindings and points: tables and API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import CheckConstraint, DateTime, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from servicekit.bindings import BindingFailureBase
from traffic import openapi_examples as examples
from traffic.models.base import Table

ViolationStatus = Literal["unhandled", "decided_unpaid", "paid"]


class ViolationCodeBase(SQLModel):
    code: str = Field(primary_key=True, max_length=16, description="违法代码（wfxw），如 1625")
    description: str = Field(max_length=200, description="违法行为描述")
    points: int = Field(description="记分：12、9、6、3、1 或 0")
    fine_fen: int = Field(description="罚款金额（分）")
    verified: bool = Field(description="是否已与公开的代码表核对")


class ViolationCode(Table, ViolationCodeBase, table=True):
    __tablename__ = "violation_code"


class ViolationCodePublic(ViolationCodeBase):
    pass


class Vehicle(Table, table=True):
    """A registered motor vehicle (机动车) and its owner."""

    id: int | None = Field(default=None, primary_key=True)
    plate: str = Field(max_length=8, unique=True, description="号牌号码")
    vin: str = Field(max_length=17, unique=True, description="车辆识别代号（车架号）")
    vehicle_type: str = Field(max_length=16, description="车辆类型，如 小型汽车")
    owner_name: str = Field(max_length=32)
    owner_id_number: str = Field(max_length=18, index=True)
    registered_on: date


class DriverLicence(Table, table=True):
    """A driving licence (驾驶证): its number is the holder's resident ID number."""

    __tablename__ = "driver_licence"
    id: int | None = Field(default=None, primary_key=True)
    licence_number: str = Field(max_length=18, unique=True)
    file_number: str = Field(max_length=12, unique=True, description="档案编号")
    holder_name: str = Field(max_length=32)
    licence_class: str = Field(max_length=8, description="准驾车型，如 C1、B2")
    first_issued_on: date = Field(description="初次领证日期：记分周期的起算日")
    # A serious offence (drink driving, hit-and-run, fake plates) bars study to reduce points.
    serious_offence: str | None = Field(default=None, max_length=32)
    serious_offence_on: date | None = None


class Violation(Table, table=True):
    """A recorded traffic violation of a vehicle; points and fine are stored as charged."""

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    code: str = Field(foreign_key="violation_code.code", max_length=16)
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))
    place: str = Field(max_length=120)
    points: int
    fine_fen: int


class PenaltyDecision(Table, table=True):
    """A penalty decision (处罚决定书) on one violation, charged to one licence."""

    __tablename__ = "penalty_decision"
    number: str = Field(primary_key=True, max_length=16, description="决定书编号")
    violation_id: int = Field(foreign_key="violation.id", unique=True)
    licence_id: int = Field(foreign_key="driver_licence.id", index=True)
    fine_fen: int
    points: int
    decided_on: date
    due_on: date
    paid_on: date | None = None
    paid_fen: int | None = None


class Binding(Table, table=True):
    """A citizen's proven link to a vehicle or a licence (DESIGN §6), keyed by citizen_id."""

    __table_args__ = (
        # Also the indexes of "this citizen's bindings" lookups (citizen_id leads).
        UniqueConstraint("citizen_id", "vehicle_id", name="uq_binding_citizen_vehicle"),
        UniqueConstraint("citizen_id", "licence_id", name="uq_binding_citizen_licence"),
        CheckConstraint("(vehicle_id IS NULL) <> (licence_id IS NULL)", name="one_target"),
    )
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: str = Field(max_length=40)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    licence_id: int | None = Field(default=None, foreign_key="driver_licence.id")
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


class BindingFailure(Table, BindingFailureBase, table=True):
    """One refused binding attempt (servicekit.bindings)."""

    __tablename__ = "binding_failure"


class PointStudy(Table, table=True):
    """A completed study to reduce points (学法减分) and the points it removed."""

    __tablename__ = "point_study"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id", index=True)
    # A Literal has no SQL type of its own: the column stays VARCHAR(8).
    kind: Literal["online", "onsite"] = Field(
        sa_type=AutoString(length=8), description="online | onsite"
    )
    points: int
    studied_on: date


class FullScoreRecord(Table, table=True):
    """A 12-point event of a licence; `cleared_on` is set once study and exam are passed."""

    __tablename__ = "full_score_record"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id", index=True)
    reached_on: date
    points: int
    cleared_on: date | None = None


class VehicleBindingCreate(SQLModel):
    """Bind a vehicle: its plate and the last six characters of its VIN, from the 行驶证."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.VEHICLE_BINDING]})
    kind: Literal["vehicle"]
    plate: str = Field(max_length=16, description="号牌号码，如 粤S12345 或 粤SD12345")
    vin6: str = Field(max_length=16, description="车架号后六位")


class LicenceBindingCreate(SQLModel):
    """Bind a driving licence: its number and its file number (档案编号), from the 驾驶证."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.LICENCE_BINDING]})
    kind: Literal["licence"]
    licence_number: str = Field(max_length=32, description="驾驶证号（即身份证号码）")
    file_number: str = Field(max_length=32, description="档案编号（12位数字，见驾驶证副页）")


class BindingPublic(SQLModel):
    """A binding as its citizen sees it; the licence holder's data are masked."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.BINDING]})
    id: int
    kind: Literal["vehicle", "licence"]
    plate: str | None = Field(default=None, description="号牌号码（绑定机动车时）")
    vehicle_type: str | None = None
    licence_number: str | None = Field(default=None, description="驾驶证号（脱敏）")
    licence_class: str | None = Field(default=None, description="准驾车型")
    holder_name: str | None = Field(default=None, description="持证人姓名（脱敏）")
    created_at: datetime


class ViolationCharge(SQLModel):
    """What a violation code costs: points and fine."""

    code: str = Field(description="违法代码")
    description: str
    points: int = Field(description="记分")
    fine_fen: int = Field(description="罚款金额（分）")


class Settlement(SQLModel):
    """Whether a violation is paid, and what settling it costs on the day asked."""

    status: ViolationStatus = Field(
        description="unhandled 未处理 | decided_unpaid 已处理未缴款 | paid 已缴款"
    )
    paid_on: date | None = None
    overdue_days: int = Field(description="逾期天数")
    surcharge_fen: int = Field(description="加处罚款（分）")
    amount_due_fen: int = Field(description="截至当日应缴金额（分）；已缴款为 0")


class ViolationPublic(Settlement, ViolationCharge):
    """A violation record with its status and what settling it costs on the day asked."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.VIOLATION]})
    id: int
    plate: str
    occurred_at: datetime = Field(description="违法时间（北京时间）")
    place: str = Field(description="违法地点")
    decision_number: str | None = Field(default=None, description="决定书编号")
    decided_on: date | None = None
    due_on: date | None = Field(default=None, description="缴款期限（决定之日起15日）")


class DecisionPublic(Settlement, ViolationCharge):
    """A penalty decision and the amount due on day `on`; no personal data."""

    number: str = Field(description="决定书编号（16位，含校验位）")
    violation_id: int
    decided_on: date
    due_on: date
    on: date = Field(description="计算应缴金额的日期")


class DecisionCreated(DecisionPublic):
    """A decision just made, with the licence's points in the cycle afterwards."""

    licence_points: int = Field(description="处理后本记分周期累积记分")


class LicencePublic(SQLModel):
    """A licence's standing: cycle, points, lock and study to reduce points."""

    licence_number: str = Field(description="驾驶证号（脱敏）")
    holder_name: str = Field(description="持证人姓名（脱敏）")
    licence_class: str
    first_issued_on: date
    cycle_start: date = Field(description="本记分周期起始日（初次领证日的周年日）")
    cycle_end: date
    points: int = Field(description="本记分周期累积记分（含结转）")
    carried_over_points: int = Field(description="上周期罚款未缴而结转的记分")
    studied_points: int = Field(description="本周期学法减分已减分数（上限6）")
    status: Literal["normal", "locked"] = Field(description="normal 正常 | locked 记满12分")
    status_text: str
    study_days: int = Field(description="满分学习天数（7、14 或 21）；未满分为 0")
    can_study_to_reduce: bool = Field(description="现在能否学法减分")
    study_refusal: str | None = Field(default=None, description="不能学法减分的原因")


class PointStudyCreate(SQLModel):
    """A completed study to reduce points: online (study + exam, -1) or on site (-2)."""

    kind: Literal["online", "onsite"]


class PointStudyPublic(SQLModel):
    """What a study removed, and the licence afterwards."""

    kind: Literal["online", "onsite"]
    points_reduced: int
    studied_on: date
    licence: LicencePublic


class ViolationPage(SQLModel):
    """A page of violation records, with the total due today over every matching record."""

    items: list[ViolationPublic]
    total: int
    on: date = Field(description="应缴金额的计算日期（今天，北京时间）")
    amount_due_fen: int = Field(description="全部符合条件记录截至当日的应缴合计（分）")
