"""Import Open-Meteo `/v1/forecast` daily forecasts as an issuance by the system.

The response is column-oriented (`daily: {time: [...], weather_code: [...], ...}`); with several
coordinates in one request it is a list in request order. Each document becomes one location's
five days; the WMO code goes through the same validation and phenomenon correction as a
forecaster's issuance, and a forecaster's later version overrides the import.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlmodel import Session

from servicekit.audit import SYSTEM
from servicekit.errors import ValidationFailed
from weather.issuances import create_issuance
from weather.models import ForecastIssuance, IssuanceCreate, IssuedDayIn, IssuedLocationIn
from weather.reference import CITY, Division, divisions
from weather.serving import FORECAST_DAYS

SOURCE = "open-meteo"
DAILY_VARIABLES = (
    "weather_code",
    "temperature_2m_max",
    "temperature_2m_min",
    "precipitation_sum",
    "precipitation_probability_max",
    "wind_speed_10m_max",
    "wind_direction_10m_dominant",
    "uv_index_max",
)
SHANGHAI_OFFSET_SECONDS = 8 * 3600
# Upper bounds (m/s) of Beaufort forces 0-16; anything stronger is force 17 (CMA's top grade).
BEAUFORT_UPPER_MS = (
    0.3,
    1.6,
    3.4,
    5.5,
    8.0,
    10.8,
    13.9,
    17.2,
    20.8,
    24.5,
    28.5,
    32.7,
    37.0,
    41.5,
    46.2,
    51.0,
    56.1,
)
TO_MS = {"km/h": 1 / 3.6, "m/s": 1.0, "mph": 0.44704, "kn": 0.514444}
COMPASS = ("北风", "东北风", "东风", "东南风", "南风", "西南风", "西风", "西北风")
NO_STEADY_DIRECTION = "无持续风向"


class OpenMeteoError(Exception):
    """The upstream answered an error, or a document cannot be imported (message in Chinese)."""


class DailyUnits(BaseModel):
    """The units Open-Meteo reports; other units than these are converted or refused."""

    model_config = ConfigDict(extra="allow")
    temperature_2m_max: str = "°C"
    precipitation_sum: str = "mm"
    wind_speed_10m_max: str = "km/h"


class Daily(BaseModel):
    """The `daily` columns the importer reads (direction is optional: not in every request)."""

    time: list[date]
    weather_code: list[int]
    temperature_2m_max: list[float]
    temperature_2m_min: list[float]
    precipitation_sum: list[float]
    precipitation_probability_max: list[int]
    wind_speed_10m_max: list[float]
    uv_index_max: list[float]
    wind_direction_10m_dominant: list[float | None] | None = None


class ForecastDocument(BaseModel):
    """One location's `/v1/forecast` response."""

    latitude: float
    longitude: float
    utc_offset_seconds: int
    daily_units: DailyUnits = DailyUnits()
    daily: Daily


def half_up(value: float) -> int:
    """Round half away from zero (24.5 -> 25), as forecasts are read, not banker's rounding."""
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


def beaufort(speed_ms: float) -> int:
    """Beaufort force (0-17) of a wind speed in m/s."""
    return next((f for f, upper in enumerate(BEAUFORT_UPPER_MS) if speed_ms < upper), 17)


def compass(degrees: float | None) -> str:
    """The Chinese name of the eighth of the compass a wind blows from."""
    if degrees is None:
        return NO_STEADY_DIRECTION
    return COMPASS[int((degrees % 360 + 22.5) // 45) % 8]


def _celsius(value: float, unit: str) -> float:
    if unit == "°C":
        return value
    if unit == "°F":
        return (value - 32) * 5 / 9
    raise OpenMeteoError(f"不支持的温度单位“{unit}”")


def _millimetres(value: float, unit: str) -> float:
    if unit == "mm":
        return value
    if unit == "inch":
        return value * 25.4
    raise OpenMeteoError(f"不支持的降水单位“{unit}”")


def _metres_per_second(value: float, unit: str) -> float:
    if unit not in TO_MS:
        raise OpenMeteoError(f"不支持的风速单位“{unit}”")
    return value * TO_MS[unit]


def parse_document(raw: Any) -> ForecastDocument:
    """Read one response document; OpenMeteoError for an upstream error or a wrong shape."""
    if isinstance(raw, dict) and raw.get("error"):
        raise OpenMeteoError(f"Open-Meteo 返回错误：{raw.get('reason', '未说明原因')}")
    try:
        doc = ForecastDocument.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise OpenMeteoError(f"不是 Open-Meteo 逐日预报的格式（{where}）") from None
    if doc.utc_offset_seconds != SHANGHAI_OFFSET_SECONDS:
        raise OpenMeteoError("须按 timezone=Asia/Shanghai 请求，日期才是北京时间的日期")
    columns = doc.daily.model_dump(exclude_none=True)
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise OpenMeteoError(f"daily 各列长度不一致：{lengths}")
    if lengths["time"] < FORECAST_DAYS:
        raise OpenMeteoError(f"只有 {lengths['time']} 天，至少需要 {FORECAST_DAYS} 天")
    return doc


def document_days(doc: ForecastDocument) -> list[IssuedDayIn]:
    """The first five days of a document in the issuance's form."""
    d, units = doc.daily, doc.daily_units
    directions = d.wind_direction_10m_dominant or [None] * len(d.time)
    days = []
    for n in range(FORECAST_DAYS):
        speed = _metres_per_second(d.wind_speed_10m_max[n], units.wind_speed_10m_max)
        values = {
            "date": d.time[n],
            "wmo_code": d.weather_code[n],
            "temp_min_c": half_up(_celsius(d.temperature_2m_min[n], units.temperature_2m_max)),
            "temp_max_c": half_up(_celsius(d.temperature_2m_max[n], units.temperature_2m_max)),
            "rain_mm": round(_millimetres(d.precipitation_sum[n], units.precipitation_sum), 1),
            "rain_probability": d.precipitation_probability_max[n],
            "wind_direction": compass(directions[n]),
            "wind_force": beaufort(speed),
            "uv_index": half_up(d.uv_index_max[n]),
        }
        try:
            days.append(IssuedDayIn.model_validate(values))
        except ValidationError as exc:
            fields = "、".join(str(e["loc"][0]) for e in exc.errors())
            raise OpenMeteoError(f"{d.time[n]} 的数据超出范围：{fields}") from None
    return days


def issuance_body(documents: Sequence[tuple[str, Any]], *, note: str = "") -> IssuanceCreate:
    """An issuance from `(location code, raw document)` pairs; all must start on the same day."""
    if not documents:
        raise OpenMeteoError("没有可导入的预报")
    locations = [
        IssuedLocationIn(location=code, days=document_days(parse_document(raw)))
        for code, raw in documents
    ]
    starts = {loc.days[0].date for loc in locations}
    if len(starts) != 1:
        raise OpenMeteoError(f"各地点的预报首日不一致：{sorted(map(str, starts))}")
    return IssuanceCreate(forecast_date=starts.pop(), locations=locations, note=note)


def import_documents(
    *, session: Session, documents: Sequence[tuple[str, Any]], note: str = ""
) -> ForecastIssuance:
    """Store the documents as an issuance by the system (OpenMeteoError when they cannot be)."""
    body = issuance_body(documents, note=note)
    try:
        return create_issuance(session=session, body=body, source=SOURCE, actor=SYSTEM)
    except ValidationFailed as exc:
        details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors or [])
        raise OpenMeteoError(f"{exc.detail}（{details}）") from None


def import_locations() -> list[Division]:
    """What a fetch asks for: the city first, then the 33 locations in reference order."""
    return [CITY, *divisions()]


def request_params(locations: Sequence[Division]) -> dict[str, str]:
    """Query parameters of one `/v1/forecast` request for all `locations`."""
    return {
        "latitude": ",".join(f"{d.lat:.2f}" for d in locations),
        "longitude": ",".join(f"{d.lon:.2f}" for d in locations),
        "daily": ",".join(DAILY_VARIABLES),
        "timezone": "Asia/Shanghai",
        "forecast_days": str(FORECAST_DAYS),
    }


def fetch(
    *,
    url: str,
    locations: Sequence[Division],
    timeout: float,
    transport: httpx.BaseTransport | None = None,
) -> list[tuple[str, Any]]:
    """Ask the upstream for every location in one request; pairs of code and document."""
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.get(url, params=request_params(locations))
        body = response.json()
    except httpx.HTTPError as exc:
        raise OpenMeteoError(f"无法连接 Open-Meteo：{type(exc).__name__}") from None
    except ValueError:
        raise OpenMeteoError(f"Open-Meteo 返回的不是 JSON（HTTP {response.status_code}）") from None
    if response.status_code != 200:
        reason = body.get("reason") if isinstance(body, dict) else None
        raise OpenMeteoError(
            f"Open-Meteo 返回 HTTP {response.status_code}：{reason or '未说明原因'}"
        )
    return paired(body, [d.code for d in locations])


def paired(body: Any, codes: Sequence[str]) -> list[tuple[str, Any]]:
    """Match a response (one document, or a list in request order) to the location codes."""
    documents = body if isinstance(body, list) else [body]
    if len(documents) != len(codes):
        raise OpenMeteoError(f"收到 {len(documents)} 个地点的预报，应为 {len(codes)} 个")
    return list(zip(codes, documents, strict=True))


def read_file(path: Path, codes: Sequence[str] | None) -> list[tuple[str, Any]]:
    """A recorded response from a file: one document (the city unless `codes` say otherwise)
    or a list (the import locations in order unless `codes` say otherwise)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OpenMeteoError(f"无法读取 {path}：{exc}") from None
    if codes is None:
        codes = [d.code for d in import_locations()] if isinstance(body, list) else [CITY.code]
    return paired(body, codes)
