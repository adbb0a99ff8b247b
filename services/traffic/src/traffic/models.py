"""Traffic tables and API models.

Stored times are UTC (`DateTime(timezone=True)`); calendar days (decision dates, deadlines,
first-issue dates) are Asia/Shanghai dates. Money is integer fen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import JSON, CheckConstraint, DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from servicekit.db import table_base
from servicekit.deps import MAX_ID

Table = table_base()

ViolationStatus = Literal["unhandled", "decided_unpaid", "paid"]
AppointmentStatus = Literal["booked", "cancelled"]
PaymentStatus = Literal["created", "started", "success", "failed", "cancelled", "error"]
RefundStatus = Literal["submitted", "success", "error"]
ReviewStatus = Literal["not_applicable", "exempt", "required", "exam_pending", "completed"]


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


class BindingFailure(Table, table=True):
    """One refused binding attempt, counted to throttle guessing."""

    __tablename__ = "binding_failure"
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: str = Field(max_length=40, index=True)
    failed_at: datetime = Field(sa_type=DateTime(timezone=True))


class PointStudy(Table, table=True):
    """A completed study to reduce points (学法减分) and the points it removed."""

    __tablename__ = "point_study"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id", index=True)
    kind: str = Field(max_length=8, description="online | onsite")
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

    kind: Literal["vehicle"]
    plate: str = Field(max_length=16, description="号牌号码，如 粤S12345 或 粤SD12345")
    vin6: str = Field(max_length=16, description="车架号后六位")


class LicenceBindingCreate(SQLModel):
    """Bind a driving licence: its number and its file number (档案编号), from the 驾驶证."""

    kind: Literal["licence"]
    licence_number: str = Field(max_length=32, description="驾驶证号（即身份证号码）")
    file_number: str = Field(max_length=32, description="档案编号（12位数字，见驾驶证副页）")


class BindingPublic(SQLModel):
    """A binding as its citizen sees it; the licence holder's data are masked."""

    id: int
    kind: Literal["vehicle", "licence"]
    plate: str | None = Field(default=None, description="号牌号码（绑定机动车时）")
    vehicle_type: str | None = None
    licence_number: str | None = Field(default=None, description="驾驶证号（脱敏）")
    licence_class: str | None = Field(default=None, description="准驾车型")
    holder_name: str | None = Field(default=None, description="持证人姓名（脱敏）")
    created_at: datetime


class ViolationPublic(SQLModel):
    """A violation record with its status and what settling it costs on the day asked."""

    id: int
    plate: str
    code: str = Field(description="违法代码")
    description: str
    occurred_at: datetime = Field(description="违法时间（北京时间）")
    place: str = Field(description="违法地点")
    points: int = Field(description="记分")
    fine_fen: int = Field(description="罚款金额（分）")
    status: ViolationStatus = Field(
        description="unhandled 未处理 | decided_unpaid 已处理未缴款 | paid 已缴款"
    )
    decision_number: str | None = Field(default=None, description="决定书编号")
    decided_on: date | None = None
    due_on: date | None = Field(default=None, description="缴款期限（决定之日起15日）")
    paid_on: date | None = None
    overdue_days: int = Field(description="逾期天数")
    surcharge_fen: int = Field(description="加处罚款（分）")
    amount_due_fen: int = Field(description="截至当日应缴金额（分）；已缴款为 0")


class DecisionPublic(SQLModel):
    """A penalty decision and the amount due on day `on`; no personal data."""

    number: str = Field(description="决定书编号（16位，含校验位）")
    violation_id: int
    code: str
    description: str
    points: int
    fine_fen: int
    decided_on: date
    due_on: date
    status: ViolationStatus
    paid_on: date | None = None
    on: date = Field(description="计算应缴金额的日期")
    overdue_days: int
    surcharge_fen: int
    amount_due_fen: int


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


# Road conditions (computed on read by traffic.roads, nothing stored).


class RoadSegmentPublic(SQLModel):
    """One road segment at the snapshot: speed, status 0-4 and its map colour."""

    code: str = Field(description="路段编号")
    road: str = Field(description="道路名称")
    section: str = Field(description="路段")
    road_class: Literal["expressway", "arterial", "secondary"]
    road_class_text: str
    length_km: float
    speed_kmh: int | None = Field(description="平均车速（公里/小时）")
    status: int = Field(description="0 未知 | 1 畅通 | 2 缓行 | 3 拥堵 | 4 严重拥堵")
    status_text: str
    colour: str = Field(description="地图颜色：绿 畅通，黄 缓行，红 拥堵，深红 严重拥堵")


class RoadConditionsPage(SQLModel):
    """Segments matching the filters at one snapshot, with the city's index over all segments."""

    snapshot_at: datetime = Field(description="路况快照时间（北京时间，每5分钟更新）")
    index: float = Field(description="全市交通指数 0-10")
    index_level: str = Field(description="畅通 | 基本畅通 | 轻度拥堵 | 中度拥堵 | 严重拥堵")
    congested_roads: list[str] = Field(description="有拥堵（红色）路段的道路")
    clear_roads: list[str] = Field(description="全线畅通（绿色）的道路")
    items: list[RoadSegmentPublic]
    total: int


# Appointments (车驾管业务预受理).


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
    status: str = Field(max_length=16, description="booked | cancelled")
    idempotency_key: str = Field(max_length=64)
    request_hash: str = Field(max_length=64, description="请求体的 SHA-256，判断重复请求")
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AppointmentCreate(SQLModel):
    """Book a slot (see /v1/offices/{code}/slots) for a business (/v1/appointment-businesses)."""

    slot_id: int = Field(ge=1, le=MAX_ID)
    business_code: str = Field(max_length=32)


class AppointmentPublic(SQLModel):
    """A booking as its citizen sees it."""

    id: int
    number: str = Field(description="预约号，到窗口出示")
    status: AppointmentStatus
    business: AppointmentBusinessPublic
    office: OfficePublic
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    cancelled_at: datetime | None = None


# Review study (审验学习) of bus and truck licences.


class ReviewStudyRecord(Table, table=True):
    """Minutes of one course studied for the review of the cycle starting `cycle_start`."""

    __tablename__ = "review_study_record"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id", index=True)
    cycle_start: date
    course_code: str = Field(max_length=24)
    minutes: int
    studied_at: datetime = Field(sa_type=DateTime(timezone=True))


class ReviewCompletion(Table, table=True):
    """A completed review (study and exam passed) of one licence for one scoring cycle."""

    __tablename__ = "review_completion"
    __table_args__ = (
        UniqueConstraint("licence_id", "cycle_start", name="uq_review_completion_licence_cycle"),
    )
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id")
    cycle_start: date
    cycle_end: date
    studied_minutes: int
    exam_score: int
    completed_at: datetime = Field(sa_type=DateTime(timezone=True))


class ReviewCoursePublic(SQLModel):
    """A course of the review study and how much of it the citizen has studied."""

    code: str
    title: str
    minutes: int = Field(description="课程时长（分钟）")
    studied_minutes: int = Field(description="已学习分钟数")


class ReviewCompletionPublic(SQLModel):
    """The record of a completed review."""

    cycle_start: date
    cycle_end: date
    studied_minutes: int
    exam_score: int
    completed_at: datetime


class ReviewStudyPublic(SQLModel):
    """Whether the licence needs review for a cycle, and how far its study has come."""

    licence_class: str
    cycle_start: date = Field(description="审验针对的记分周期")
    cycle_end: date
    cycle_points: int = Field(description="该记分周期的记分记录合计")
    due_by: date | None = Field(description="须在此日前完成审验（周期结束后30日内）")
    status: ReviewStatus = Field(
        description="not_applicable 非大中型客货车驾驶证 | exempt 无记分免审验 | required 须学习"
        " | exam_pending 学习已满180分钟待考试 | completed 已完成"
    )
    status_text: str
    required_minutes: int
    studied_minutes: int
    previous_overdue: bool = Field(description="上一记分周期应审验而逾期未审验")
    courses: list[ReviewCoursePublic]
    completion: ReviewCompletionPublic | None = None


class ReviewStudyCreate(SQLModel):
    """Minutes studied of one course (as the learning client reports them)."""

    course_code: str = Field(max_length=24)
    minutes: int = Field(ge=1, le=120, description="本次学习分钟数")


class ReviewQuestionPublic(SQLModel):
    """An exam question without its answer."""

    id: str
    question: str
    options: dict[str, str]


class ReviewExamCreate(SQLModel):
    """The citizen's answers: question id -> option letter."""

    answers: dict[str, str]


class ReviewExamResult(SQLModel):
    """The exam's score, and the review afterwards."""

    score: int
    passed: bool
    pass_score: int
    review: ReviewStudyPublic


# Guides (办事指南).


class FeeItem(SQLModel):
    """One fee of a business, in fen."""

    item: str
    fee_fen: int


class GuideBase(SQLModel):
    title: str = Field(max_length=60)
    category: str = Field(max_length=16, description="驾驶证 | 机动车 | 违法处理")
    summary: str = Field(max_length=300)


class Guide(Table, GuideBase, table=True):
    """A business guide: who, what to bring, what it costs, where and when."""

    id: str = Field(primary_key=True, max_length=40)
    conditions: list[str] = Field(sa_type=JSON, description="办理条件")
    materials: list[str] = Field(sa_type=JSON, description="申请材料")
    fees: list[dict] = Field(sa_type=JSON, description="收费项目")
    offices: list[str] = Field(sa_type=JSON, description="办理地点")
    hours: str = Field(max_length=120, description="办理时间")
    time_limit: str = Field(max_length=60, description="办理时限")
    online: str = Field(max_length=120, description="网上办理渠道")
    keywords: str = Field(max_length=200, description="检索用的同义词")


class GuideSummary(GuideBase):
    id: str


class GuidePublic(GuideBase):
    id: str
    conditions: list[str]
    materials: list[str]
    fees: list[FeeItem]
    offices: list[str]
    hours: str
    time_limit: str
    online: str


# Fine payments over WeChat Pay (traffic.payments).

# Open orders: at most one per decision (a newer order closes the older first).
OPEN_STATUSES = ("created", "started")


class PaymentOrder(Table, table=True):
    """One attempt to pay a decision, its amount frozen when it was created.

    `status` follows GOV.UK Pay: created (ours, not yet at the provider) -> started (JSAPI order
    at the provider) -> success | failed (expired, cancelled by the payer, payment error) |
    cancelled (closed by us: superseded by a newer order) | error (the provider refused or could
    not be reached; no money taken). Success, failed, cancelled and error are finished.
    """

    __tablename__ = "payment_order"
    __table_args__ = (
        UniqueConstraint("citizen_id", "idempotency_key", name="uq_payment_order_citizen_key"),
        CheckConstraint(
            "amount_fen = fine_fen + surcharge_fen", name="amount_is_fine_plus_surcharge"
        ),
        CheckConstraint(
            "refund_reserved_fen >= 0 AND refund_reserved_fen <= amount_fen",
            name="refunds_within_amount",
        ),
        Index(
            "uq_payment_order_open_decision",
            "decision_number",
            unique=True,
            sqlite_where=text("status IN ('created', 'started')"),
            postgresql_where=text("status IN ('created', 'started')"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    out_trade_no: str = Field(max_length=32, unique=True, description="商户订单号")
    decision_number: str = Field(foreign_key="penalty_decision.number", max_length=16, index=True)
    citizen_id: str = Field(max_length=40, index=True)
    # Cleared when the key is older than 24 hours and used again for a new order.
    idempotency_key: str | None = Field(default=None, max_length=64)
    request_hash: str = Field(max_length=64)
    payer_openid: str = Field(max_length=128)
    description: str = Field(max_length=127)
    fine_fen: int
    surcharge_fen: int
    amount_fen: int
    overdue_days: int
    priced_on: date = Field(description="计算应缴金额的日期（北京时间）")
    status: str = Field(max_length=16, index=True)
    failure_reason: str | None = Field(default=None, max_length=32)
    prepay_id: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=32)
    payer_total_fen: int | None = None
    paid_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    refund_reserved_fen: int = 0
    refunded_fen: int = 0
    flagged: bool = False
    flag_reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class PaymentEvent(Table, table=True):
    """One entry of a payment's history: a transition, a refund step or a flag."""

    __tablename__ = "payment_event"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment_order.id", index=True)
    type: str = Field(max_length=32)
    status: str = Field(max_length=16, description="the payment's status after the event")
    source: str = Field(max_length=16, description="citizen | notification | reconcile | officer")
    detail: str | None = Field(default=None, max_length=300)
    at: datetime = Field(sa_type=DateTime(timezone=True))


class PaymentRefund(Table, table=True):
    """A refund of (part of) a successful payment; `out_refund_no` makes retries safe."""

    __tablename__ = "payment_refund"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment_order.id", index=True)
    out_refund_no: str = Field(max_length=64, unique=True)
    refund_id: str | None = Field(default=None, max_length=32, description="微信退款单号")
    amount_fen: int
    reason: str = Field(max_length=80)
    status: str = Field(max_length=16, description="submitted | success | error")
    provider_status: str | None = Field(default=None, max_length=16)
    officer_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PaymentCreate(SQLModel):
    """Pay a decision in the WeChat browser of 东莞交警's service account.

    `openid` is the payer's openid with that account (the gateway knows it from OAuth or chat);
    WeChat Pay needs it for a JSAPI order.
    """

    openid: str = Field(
        min_length=6, max_length=128, description="付款人在东莞交警公众号下的 openid"
    )


class JsapiPayParams(SQLModel):
    """What the page hands to `WeixinJSBridge.invoke('getBrandWCPayRequest', ...)`, named as
    WeChat names them."""

    appId: str
    timeStamp: str
    nonceStr: str
    package: str = Field(description="prepay_id=...")
    signType: Literal["RSA"] = "RSA"
    paySign: str


class RefundSummary(SQLModel):
    """What of a payment can still be refunded (GOV.UK Pay's refund summary)."""

    status: Literal["unavailable", "available", "pending", "full"]
    amount_available_fen: int
    amount_submitted_fen: int = Field(description="已提交（处理中与成功）的退款合计")
    amount_refunded_fen: int = Field(description="已退款成功合计")


class PaymentState(SQLModel):
    status: PaymentStatus
    finished: bool
    failure_reason: str | None = Field(
        default=None, description="expired 超时未支付 | user_cancelled | payment_error | closed"
    )


class PaymentPublic(SQLModel):
    """A payment order; its amount was computed and frozen when it was created."""

    id: int
    out_trade_no: str = Field(description="商户订单号")
    decision_number: str
    state: PaymentState
    status_text: str
    description: str
    fine_fen: int = Field(description="罚款（分）")
    surcharge_fen: int = Field(description="加处罚款（分）")
    amount_fen: int = Field(description="本订单金额（分），创建时计算并冻结")
    overdue_days: int
    priced_on: date = Field(description="金额计算日期")
    created_at: datetime
    expires_at: datetime = Field(description="未支付的订单在此时间后失效（2小时）")
    paid_at: datetime | None = None
    transaction_id: str | None = Field(default=None, description="微信支付订单号")
    under_review: bool = Field(description="有异常，待人工核查")
    refund_summary: RefundSummary


class PaymentCreated(PaymentPublic):
    """A new order with the parameters the WeChat browser needs to pay it."""

    jsapi: JsapiPayParams | None = Field(
        default=None, description="调起微信支付的参数；订单未在支付平台创建成功时为空"
    )
    pay_page_url: str | None = Field(default=None, description="沙箱支付页（仅开发环境）")


class PaymentEventPublic(SQLModel):
    id: int
    type: str = Field(
        description="created | started | paid | expired | user_cancelled | payment_error | "
        "cancelled | error | flagged | refund_submitted | refunded | refund_failed"
    )
    state: PaymentState
    source: str
    detail: str | None = None
    at: datetime


class RefundCreate(SQLModel):
    """Refund part or all of a successful payment.

    `expected_available_fen` is what the officer believes can still be refunded: when another
    refund changed it meanwhile the request is refused with 412 and nothing is refunded.
    """

    out_refund_no: str = Field(
        min_length=6,
        max_length=64,
        regex=r"^[0-9A-Za-z_\-|*@]+$",
        description="商户退款单号；重试时用同一单号，只退一次",
    )
    amount_fen: int = Field(ge=1, description="退款金额（分）")
    expected_available_fen: int = Field(ge=0, description="认为当前可退的金额（分）")
    reason: str = Field(min_length=1, max_length=80, description="退款原因")


class RefundPublic(SQLModel):
    id: int
    payment_id: int
    out_refund_no: str
    refund_id: str | None = None
    amount_fen: int
    reason: str
    status: RefundStatus
    created_at: datetime
    finished_at: datetime | None = None


class ReceiptPublic(SQLModel):
    """An electronic receipt (电子缴款凭证) of a successful payment; the payer is masked."""

    receipt_number: str
    payee: str
    payer: str = Field(description="当事人（脱敏）")
    payer_openid: str = Field(description="付款微信用户（脱敏）")
    decision_number: str
    plate: str
    violation_code: str
    violation: str
    occurred_at: datetime
    place: str
    fine_fen: int
    surcharge_fen: int
    amount_fen: int
    fine_yuan: str
    surcharge_yuan: str
    amount_yuan: str
    out_trade_no: str
    transaction_id: str
    paid_at: datetime
    refunded_fen: int
