"""Weather's chat answers (servicekit.answers): the forecast (today in full, the following days in
brief), today's umbrella and outing indices, and the warning signals in force, which lead every
answer. The place is the rule's `location`, else a town the message names, else the whole city.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from servicekit.answers import Answer, AnswerRequest, CitizenNeed, intent_not_served
from servicekit.chattext import fit, town_in_text
from servicekit.clock import SHANGHAI
from servicekit.errors import ValidationFailed
from weather.documents import forecast_document, indices_document
from weather.models import ForecastPublic, IndicesPublic, WarningPublic
from weather.public import warning_public
from weather.reference import CITY, divisions, location_names
from weather.signals import active_signals

# None of them is personal: the gateway sends no citizen.
INTENTS: dict[str, CitizenNeed] = {
    "today": "none",
    "forecast": "none",
    "index": "none",
    "warnings": "none",
}
INDEX_KINDS = {"umbrella": ("umbrella",), "outing": ("outing",), "all": ("umbrella", "outing")}
NO_WARNINGS = "目前东莞没有生效中的气象预警信号。"
# As many signals as the public list's largest page.
MAX_WARNINGS = 100
_WEEKDAYS = "一二三四五六日"
_RELATIVE = {0: "今天", 1: "明天", 2: "后天"}


def day_label(day: date, today: date) -> str:
    """'11月26日（今天）', '11月27日（明天）', … '11月29日（周六）'."""
    relative = _RELATIVE.get((day - today).days, f"周{_WEEKDAYS[day.weekday()]}")
    return f"{day.month}月{day.day}日（{relative}）"


def warning_lines(warnings: Sequence[WarningPublic]) -> list[str]:
    """One line per signal in force: '【预警】东莞市 暴雨橙色预警信号（11月26日 14:30 发布）'."""
    return [
        f"【预警】{w.area_name} {w.name}（{w.updated_at.astimezone(SHANGHAI):%m月%d日 %H:%M} 发布）"
        for w in warnings
    ]


def forecast_text(forecast: ForecastPublic, today: date) -> str:
    """Signals in force, the first day with rain chance and wind, then one short line per day."""
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


def indices_text(indices: IndicesPublic, kind: str, today: date) -> str:
    """Signals in force, then '雨伞指数：带伞。有降水，带雨伞。' per index asked for (an unknown
    kind asks for both)."""
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


def warnings_text(warnings: Sequence[WarningPublic]) -> str:
    """Every signal in force, or that there is none; whole lines within WeChat's limit."""
    if not warnings:
        return NO_WARNINGS
    return fit([], warning_lines(warnings), more=lambda n: f"……另有{n}个预警信号生效中。")


def location_of(request: AnswerRequest) -> str:
    """The rule's `location`, else the town the message names, else the city; 422 for a
    `location` that is neither a town nor the city."""
    location = request.params.get("location")
    if not location:
        towns = ((d.code, d.name) for d in divisions())
        return town_in_text(towns, request.text) or CITY.code
    if location not in location_names():
        detail = f"未知的地点“{location}”，请使用 /v1/locations 中的代码或 dongguan。"
        raise ValidationFailed(
            detail,
            errors=[
                {"field": "params.location", "in": "body", "message": detail, "type": "value_error"}
            ],
        )
    return location


def answer(*, session: Session, name: str, request: AnswerRequest, now: datetime) -> Answer:
    """The answer of intent `name` at `now` (Asia/Shanghai); 404 for an intent not served."""
    today = now.astimezone(SHANGHAI).date()
    match name:
        case "today" | "forecast":
            # The forecast already holds the following days.
            forecast = forecast_document(
                session=session, location_code=location_of(request), forecast_date=None, today=today
            )
            return Answer(text=forecast_text(forecast, today))
        case "index":
            indices = indices_document(
                session=session, location_code=location_of(request), day=None, today=today
            )
            return Answer(text=indices_text(indices, request.params.get("kind", "all"), today))
        case "warnings":
            signals = active_signals(session=session)[:MAX_WARNINGS]
            return Answer(text=warnings_text([warning_public(s) for s in signals]))
    raise intent_not_served(f"weather.{name}")
