"""Weather tables and API models."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from servicekit.db import table_base

Table = table_base()


class LocationBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32, description="拼音代码，如 dalang")
    name: str = Field(max_length=32, description="中文名称，如 大朗镇")
    kind: str = Field(max_length=16, description="subdistrict | town | zone")
    lat: float
    lon: float


class Location(Table, LocationBase, table=True):
    confidence: str = Field(default="sourced", max_length=16)


class LocationPublic(LocationBase):
    pass


class DailyForecast(SQLModel):
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


class ForecastPublic(SQLModel):
    location: LocationPublic
    issued_at: datetime
    source: str = Field(description="synthetic：由气候平均值生成的确定性预报")
    days: list[DailyForecast]
