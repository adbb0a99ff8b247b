"""The city forecast in chat: today in full, the following days in brief."""

from __future__ import annotations

import logging
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from gateway.wechat.messages import TextMessage
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger("gateway.wechat.weather")

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


class Forecast(BaseModel):
    """The part of the weather service's forecast document this handler uses."""

    location: Location
    days: list[Day]


def day_label(day: date, today: date) -> str:
    """'11月26日（今天）', '11月27日（明天）', … '11月29日（周六）'."""
    relative = _RELATIVE.get((day - today).days, f"周{_WEEKDAYS[day.weekday()]}")
    return f"{day.month}月{day.day}日（{relative}）"


def format_forecast(forecast: Forecast, today: date) -> str:
    """The chat text: the first day with rain chance and wind, then one short line per day."""
    first, *rest = forecast.days
    lines = [
        f"{forecast.location.name} {day_label(first.date, today)}：{first.text}，"
        f"{first.temp_min_c}～{first.temp_max_c}℃，降水概率{first.rain_probability}%，"
        f"{first.wind_text}。"
    ]
    lines += [
        f"{day_label(d.date, today)}：{d.text}，{d.temp_min_c}～{d.temp_max_c}℃" for d in rest
    ]
    return "\n".join(lines)


async def city_forecast(context: Context, message: TextMessage) -> Reply | None:
    """Answer the city's forecast; an apology when the weather service fails or is late."""
    return await forecast_reply(context, CITY_CODE)


async def forecast_reply(context: Context, location: str) -> Reply:
    """The forecast of `location` (a town code or `dongguan`); an apology on failure or delay."""
    timeout = context.remaining() - REPLY_MARGIN_SECONDS
    if timeout <= 0:
        return TextReply(APOLOGY)
    try:
        status, body = await context.upstreams.get_json(
            "weather", f"/v1/forecasts/{quote(location, safe='')}", timeout=timeout
        )
        if status != 200:
            log.warning("weather service answered %s", status)
            return TextReply(APOLOGY)
        forecast = Forecast.model_validate(body)
    except (UpstreamUnavailable, UpstreamTimeout) as exc:
        log.warning("weather service failed: %s", type(exc).__name__)
        return TextReply(APOLOGY)
    except ValueError:  # not JSON, or not the expected shape (ValidationError is a ValueError)
        log.exception("weather service answered an unexpected document")
        return TextReply(APOLOGY)
    if not forecast.days:
        log.warning("weather service answered a forecast without days")
        return TextReply(APOLOGY)
    return TextReply(format_forecast(forecast, datetime.now(SHANGHAI).date()))
