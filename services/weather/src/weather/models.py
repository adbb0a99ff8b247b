"""Weather tables and API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from servicekit.audit import AuditEntryBase
from servicekit.db import table_base
from weather import openapi_examples as examples

Table = table_base()

Source = Literal["synthetic", "forecaster", "open-meteo"]
PushStatus = Literal["sending", "sent", "failed"]
WarningAction = Literal["issue", "upgrade", "downgrade", "lift"]
SOURCE_NOTE = (
    "synthetic：由气候平均值生成的确定性预报（无发布时使用）；forecaster：预报员发布；"
    "open-meteo：系统从 Open-Meteo 导入"
)
# Facts several models document alike, said once.
AREA_NOTE = "地点代码；dongguan 为全市"
COLOUR_NOTE = "white | blue | yellow | orange | red"
ACTION_NOTE = "issue | upgrade | downgrade | lift"
AreaCode = Annotated[str, Field(description=AREA_NOTE)]
HazardCode = Annotated[str, Field(description="typhoon | rainstorm | high_temperature | ...")]
Colour = Annotated[str, Field(description=COLOUR_NOTE)]
Action = Annotated[WarningAction, Field(description=ACTION_NOTE)]


class LocationBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32, description="拼音代码，如 dalang")
    name: str = Field(max_length=32, description="中文名称，如 大朗镇")
    kind: str = Field(max_length=16, description="subdistrict | town | zone")
    lat: float
    lon: float


class Location(Table, LocationBase, table=True):
    confidence: str = Field(default="sourced", max_length=16)


class LocationPublic(LocationBase):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DALANG]})


class ForecastIssuance(Table, table=True):
    """One issuance of the forecast for a date; a later version for the same date supersedes it."""

    __tablename__ = "forecast_issuance"
    __table_args__ = (UniqueConstraint("forecast_date", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    forecast_date: date = Field(index=True, description="预报首日")
    version: int = Field(description="同一预报日期的第几次发布，从 1 起")
    issued_at: datetime = Field(sa_type=DateTime(timezone=True))
    source: str = Field(max_length=16, description="forecaster | open-meteo")
    issued_by: str = Field(max_length=64, description="工作人员标识，或 system")
    note: str = Field(default="", max_length=200)


class IssuedDay(Table, table=True):
    """One day of one location in an issuance, as issued (codes are corrected when served)."""

    __tablename__ = "issued_day"
    __table_args__ = (UniqueConstraint("issuance_id", "location_code", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    issuance_id: int = Field(foreign_key="forecast_issuance.id")
    # Not a foreign key: `dongguan`, the city as a whole, has no location row.
    location_code: str = Field(max_length=32, index=True)
    day: date
    day_code: str = Field(max_length=2)
    night_code: str = Field(max_length=2)
    wmo_code: int | None = Field(default=None)
    temp_min_c: int
    temp_max_c: int
    rain_mm: float
    rain_probability: int
    wind_direction: str = Field(max_length=8)
    wind_force: int
    uv_index: int


class DayMeasures(TypedDict):
    """The measurements of a forecast day, named alike where it is issued, stored and served."""

    temp_min_c: int
    temp_max_c: int
    rain_mm: float
    rain_probability: int
    wind_direction: str
    wind_force: int
    uv_index: int


DAY_MEASURES = DayMeasures.__required_keys__


class WarningSignal(Table, table=True):
    """A Guangdong warning signal for one area, from its issue until it is lifted."""

    __tablename__ = "warning_signal"
    id: int | None = Field(default=None, primary_key=True)
    hazard: str = Field(max_length=24, description="typhoon | rainstorm | ...")
    area: str = Field(max_length=32, index=True, description=AREA_NOTE)
    colour: str = Field(max_length=8, description=COLOUR_NOTE)
    issued_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    lifted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # `hazard:area` while in force, NULL once lifted: the unique constraint then allows one
    # signal per hazard and area at a time on SQLite and PostgreSQL alike (NULLs never clash).
    active_key: str | None = Field(default=None, max_length=64, unique=True)


class WarningEvent(Table, table=True):
    """One step of a signal's life: issue, upgrade, downgrade or lift."""

    __tablename__ = "warning_event"
    id: int | None = Field(default=None, primary_key=True)
    signal_id: int = Field(foreign_key="warning_signal.id", index=True)
    action: WarningAction = Field(sa_type=String(16), description=ACTION_NOTE)
    colour: str = Field(max_length=8, description="此后的颜色；解除时为解除前的颜色")
    previous_colour: str | None = Field(default=None, max_length=8)
    at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    actor: str = Field(max_length=64)


class Bulletin(Table, table=True):
    """The day's bulletin text written by the duty forecaster."""

    __tablename__ = "bulletin"
    bulletin_date: date = Field(primary_key=True)
    text: str = Field(max_length=140)
    written_by: str = Field(max_length=64)
    written_at: datetime = Field(sa_type=DateTime(timezone=True))


class BulletinPush(Table, table=True):
    """The mass send of a date's bulletin: one row per date, whoever runs the push.

    A run claims the row (insert, or a conditional update of a failed row or of a claim older
    than the lease) before calling the gateway, so one run at a time sends; `claim_token` names
    the run holding it. The gateway's clientmsgid (the date) makes a repeated send harmless too.
    """

    __tablename__ = "bulletin_push"
    bulletin_date: date = Field(primary_key=True)
    status: PushStatus = Field(sa_type=String(16), description="sending | sent | failed")
    claim_token: str = Field(max_length=64)
    claimed_at: datetime = Field(sa_type=DateTime(timezone=True))
    attempts: int = Field(default=0)
    msg_id: int | None = Field(default=None, sa_type=BigInteger)
    duplicate: bool = Field(default=False, description="the gateway had sent this clientmsgid")
    title: str = Field(default="", max_length=64)
    text: str = Field(default="", max_length=140)
    source: str = Field(default="", max_length=16, description="forecaster | auto")
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    errcode: int | None = Field(default=None, description="WeChat's errcode of the last failure")
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class AuditEntry(Table, AuditEntryBase, table=True):
    """One staff write (servicekit.audit)."""

    __tablename__ = "audit_entry"


class DailyForecast(SQLModel):
    """One day of a served forecast, whatever its source."""

    date: date
    text: str = Field(description="天气现象，如 多云 或 多云转小雨")
    day_code: str = Field(description="白天 CMA 天气现象代码")
    night_code: str = Field(description="夜间 CMA 天气现象代码")
    temp_min_c: int
    temp_max_c: int
    rain_mm: float = Field(description="24 小时降水量（毫米）")
    rain_probability: int = Field(ge=0, le=100, description="降水概率（%）")
    wind_direction: str = Field(description="风向，如 东北风")
    wind_force: int = Field(description="风力等级（蒲福）")
    wind_text: str = Field(description="如 东北风3级")
    uv_index: int


class WarningPublic(BaseModel):
    """A warning signal as the public sees it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.WARNING]})

    id: int
    name: str = Field(description="如 暴雨橙色预警信号")
    hazard: HazardCode
    hazard_name: str = Field(description="如 暴雨")
    colour: Colour
    colour_name: str = Field(description="如 橙色")
    area: AreaCode
    area_name: str = Field(description="如 东莞市、大朗镇")
    issued_at: datetime = Field(description="首次发布时间（北京时间）")
    updated_at: datetime = Field(description="最近一次发布、升级或降级的时间")
    lifted_at: datetime | None = Field(description="解除时间；生效中为空")


class ForecastPublic(SQLModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.FORECAST]})
    warnings: list[WarningPublic] = Field(
        description="当前生效的预警信号（全市的和本地的），排在预报之前"
    )
    location: LocationPublic
    forecast_date: date = Field(description="预报首日")
    issued_at: datetime = Field(description="发布时间；synthetic 为预报首日 00:00")
    source: Source = Field(description=SOURCE_NOTE)
    issuance_id: int | None = Field(description="所用发布的编号；synthetic 为空")
    issuance_version: int | None = Field(description="所用发布是该日期的第几版；synthetic 为空")
    days: list[DailyForecast]


class IndexPublic(BaseModel):
    """One life index."""

    code: str = Field(description="umbrella | outing | uv | dressing | comfort")
    name: str = Field(description="如 雨伞指数")
    level: str = Field(description="等级，如 带伞")
    text: str = Field(description="建议，如 有降水，带雨伞。")
    override: str | None = Field(description="决定此等级的生效预警信号；由天气决定时为空")


class IndicesPublic(BaseModel):
    """The life indices of one location on one day."""

    warnings: list[WarningPublic] = Field(description="当前生效的预警信号，排在最前")
    location: LocationPublic
    date: date
    source: Source = Field(description="所依据预报的来源")
    issuance_id: int | None
    issuance_version: int | None
    indices: list[IndexPublic]


class WarningEventPublic(BaseModel):
    """One step in a signal's life."""

    id: int
    signal_id: int = Field(description="所属信号的编号")
    action: Action
    action_name: str = Field(description="发布 | 升级 | 降级 | 解除")
    name: str = Field(description="此步之后（解除时为解除前）的信号名称，如 暴雨橙色预警信号")
    hazard: HazardCode
    colour: Colour
    previous_colour: str | None
    area: AreaCode
    area_name: str
    at: datetime


class BulletinPublic(BaseModel):
    """The bulletin of a date."""

    date: date
    text: str = Field(description="短评正文，最多 140 字")
    source: str = Field(description="forecaster：值班预报员撰写；auto：15:45 未撰写时自动生成")
    written_at: datetime | None = Field(description="撰写时间（北京时间）；自动生成为空")


class BulletinPushPublic(BaseModel):
    """Whether and when the bulletin of a date was mass-sent."""

    date: date
    status: Literal["not_pushed", PushStatus] = Field(
        description="not_pushed 尚未群发；sending 正在群发；sent 已群发；failed 上次失败，稍后重试"
    )
    msg_id: int | None = Field(description="微信群发的 msg_id；未群发为空")
    sent_at: datetime | None = Field(description="群发时间（北京时间）")
    attempts: int = Field(description="已尝试次数")
    last_attempt_at: datetime | None = Field(description="最近一次尝试的开始时间（北京时间）")
    title: str | None = Field(description="群发图文的标题")
    text: str | None = Field(description="群发的短评正文")
    source: str | None = Field(description="forecaster：值班预报员撰写；auto：自动生成")
    error: str | None = Field(description="上次失败的原因")
    errcode: int | None = Field(description="微信平台的错误码（如 45009：今日群发次数已用完）")


class IssuedDayIn(BaseModel):
    """One day of one location as a forecaster issues it."""

    model_config = ConfigDict(extra="forbid")
    date: date
    day_code: str | None = Field(
        default=None, description="白天 CMA 天气现象代码，如 01（多云）；与 wmo_code 二选一"
    )
    night_code: str | None = Field(default=None, description="夜间 CMA 代码；缺省与白天相同")
    wmo_code: int | None = Field(
        default=None,
        description="WMO 天气代码（如 Open-Meteo 的 weather_code）；与 day_code 二选一",
    )
    temp_min_c: int = Field(ge=-10, le=45, description="最低气温（℃）")
    temp_max_c: int = Field(ge=-10, le=45, description="最高气温（℃），不低于最低气温")
    rain_mm: float = Field(ge=0, le=1000, description="24 小时降水量（毫米）")
    rain_probability: int = Field(ge=0, le=100, description="降水概率（%）")
    wind_direction: str = Field(description="北风、东北风、…、西北风，或 无持续风向")
    wind_force: int = Field(ge=0, le=17, description="风力等级（蒲福）")
    uv_index: int = Field(ge=0, le=20, description="紫外线指数")


class IssuedLocationIn(BaseModel):
    """The days of one location in an issuance."""

    model_config = ConfigDict(extra="forbid")
    location: str = Field(description="地点代码，如 dalang；dongguan 为全市")
    # The cap only bounds the work of a wrong request; exactly 5 is checked with a clear message.
    days: list[IssuedDayIn] = Field(
        max_length=10, description="恰好 5 天：预报首日起连续 5 天，按日期排列"
    )


class IssuanceCreate(BaseModel):
    """A forecast issuance: the forecast date and the days of one or more locations."""

    model_config = ConfigDict(extra="forbid")
    forecast_date: date = Field(description="预报首日，YYYY-MM-DD")
    locations: list[IssuedLocationIn] = Field(
        max_length=34, description="一个或多个地点（最多 33 个镇街加全市 dongguan），不可重复"
    )
    note: str = Field(default="", max_length=200, description="备注，如 更正降水量")


class IssuanceSummary(BaseModel):
    """An issuance without its days."""

    id: int
    forecast_date: date
    version: int
    issued_at: datetime
    source: Source = Field(description=SOURCE_NOTE)
    note: str
    locations: list[str] = Field(description="所含地点代码")


class LocationForecast(BaseModel):
    """The days of one location in an issuance, as they are served."""

    location: str
    location_name: str
    days: list[DailyForecast]


class IssuanceDetail(IssuanceSummary):
    """An issuance with the days of every location it covers."""

    forecasts: list[LocationForecast]
