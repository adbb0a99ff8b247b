"""Weather in chat: forecasts (today in full, the following days in brief), life indices and the
warning signals in force, which lead every answer."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from gateway.wechat.messages import TextMessage
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger("gateway.wechat.weather")
M = TypeVar("M", bound=BaseModel)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITY_CODE = "dongguan"
APOLOGY = "天气服务暂时繁忙，请稍后再试。"
# Leave time to answer (with an apology at worst) before the work deadline cuts the handler off.
REPLY_MARGIN_SECONDS = 0.3
_WEEKDAYS = "一二三四五六日"
_RELATIVE = {0: "今天", 1: "明天", 2: "后天"}


class Day(BaseModel):
    """The fields of one forecast day this handler uses."""

    date: date
    text: str
    temp_min_c: int
    temp_max_c: int
    rain_probability: int
    wind_text: str


class Location(BaseModel):
    """The forecast's location."""

    name: str


class Signal(BaseModel):
    """A warning signal in force."""

    name: str
    area_name: str
    updated_at: datetime


class Forecast(BaseModel):
    """The part of the weather service's forecast document this handler uses."""

    warnings: list[Signal] = []
    location: Location
    days: list[Day]


class Index(BaseModel):
    """One life index of the day."""

    code: str
    name: str
    level: str
    text: str


class Indices(BaseModel):
    """The part of the weather service's indices document this handler uses."""

    warnings: list[Signal] = []
    location: Location
    date: date
    indices: list[Index]


class Warnings(BaseModel):
    """The weather service's list of signals in force."""

    items: list[Signal]


INDEX_KINDS = {"umbrella": ("umbrella",), "outing": ("outing",), "all": ("umbrella", "outing")}
NO_WARNINGS = "目前东莞没有生效中的气象预警信号。"


def day_label(day: date, today: date) -> str:
    """'11月26日（今天）', '11月27日（明天）', … '11月29日（周六）'."""
    relative = _RELATIVE.get((day - today).days, f"周{_WEEKDAYS[day.weekday()]}")
    return f"{day.month}月{day.day}日（{relative}）"


def warning_lines(warnings: list[Signal]) -> list[str]:
    """One line per signal in force: '【预警】东莞市 暴雨橙色预警信号（11月26日 14:30 发布）'."""
    return [
        f"【预警】{w.area_name} {w.name}（{w.updated_at.astimezone(SHANGHAI):%m月%d日 %H:%M} 发布）"
        for w in warnings
    ]


def format_forecast(forecast: Forecast, today: date) -> str:
    """The chat text: signals in force, the first day with rain chance and wind, then one short
    line per day."""
    first, *rest = forecast.days
    lines = warning_lines(forecast.warnings)
    lines += [
        f"{forecast.location.name} {day_label(first.date, today)}：{first.text}，"
        f"{first.temp_min_c}～{first.temp_max_c}℃，降水概率{first.rain_probability}%，"
        f"{first.wind_text}。"
    ]
    lines += [
        f"{day_label(d.date, today)}：{d.text}，{d.temp_min_c}～{d.temp_max_c}℃" for d in rest
    ]
    return "\n".join(lines)


def format_indices(indices: Indices, kind: str, today: date) -> str:
    """Signals in force, then '雨伞指数：带伞。有降水，带雨伞。' per index asked for."""
    wanted = INDEX_KINDS.get(kind, INDEX_KINDS["all"])
    lines = warning_lines(indices.warnings)
    lines.append(f"{indices.location.name} {day_label(indices.date, today)}")
    lines += [
        f"{i.name}：{i.level}。{i.text}"
        for code in wanted
        for i in indices.indices
        if i.code == code
    ]
    return "\n".join(lines)


def format_warnings(warnings: Warnings) -> str:
    """Every signal in force, or that there is none."""
    return "\n".join(warning_lines(warnings.items)) or NO_WARNINGS


async def city_forecast(context: Context, message: TextMessage) -> Reply | None:
    """Answer the city's forecast; an apology when the weather service fails or is late."""
    return await forecast_reply(context, CITY_CODE)


async def _fetch(context: Context, path: str, model: type[M], query: str = "") -> M | None:
    """The weather service's document at `path` as `model`; None (logged) on any failure."""
    timeout = context.remaining() - REPLY_MARGIN_SECONDS
    if timeout <= 0:
        return None
    try:
        status, body = await context.upstreams.get_json(
            "weather", path, query=query, timeout=timeout
        )
        if status != 200:
            log.warning("weather service answered %s", status)
            return None
        return model.model_validate(body)
    except (UpstreamUnavailable, UpstreamTimeout) as exc:
        log.warning("weather service failed: %s", type(exc).__name__)
    except ValueError:  # not JSON, or not the expected shape (ValidationError is a ValueError)
        log.exception("weather service answered an unexpected document")
    return None


async def forecast_reply(context: Context, location: str) -> Reply:
    """The forecast of `location` (a town code or `dongguan`); an apology on failure or delay."""
    path = f"/v1/forecasts/{quote(location, safe='')}"
    forecast = await _fetch(context, path, Forecast)
    if forecast is None or not forecast.days:
        return TextReply(APOLOGY)
    return TextReply(format_forecast(forecast, datetime.now(SHANGHAI).date()))


async def indices_reply(context: Context, location: str, kind: str) -> Reply:
    """Today's umbrella and/or outing index of `location`; an apology on failure or delay."""
    indices = await _fetch(context, f"/v1/indices/{quote(location, safe='')}", Indices)
    if indices is None:
        return TextReply(APOLOGY)
    return TextReply(format_indices(indices, kind, datetime.now(SHANGHAI).date()))


async def warnings_reply(context: Context) -> Reply:
    """The warning signals in force across the city; an apology on failure or delay."""
    warnings = await _fetch(context, "/v1/warnings", Warnings, query="limit=100")
    if warnings is None:
        return TextReply(APOLOGY)
    return TextReply(format_warnings(warnings))
