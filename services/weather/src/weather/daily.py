"""One served forecast day, the same for every source: codes corrected by the amount, texts."""

from __future__ import annotations

from datetime import date
from typing import Unpack

from weather.models import DailyForecast, DayMeasures
from weather.phenomena import day_text, phenomenon_codes


def wind_text(direction: str, force: int) -> str:
    """`东北风3级`."""
    return f"{direction}{force}级"


def daily_forecast(
    *, day: date, day_code: str, night_code: str, **measures: Unpack[DayMeasures]
) -> DailyForecast:
    """One served day: codes corrected by the amount, Chinese text, wind text."""
    shown_day, shown_night = phenomenon_codes(
        day_code=day_code, night_code=night_code, rain_mm=measures["rain_mm"]
    )
    return DailyForecast(
        date=day,
        text=day_text(shown_day, shown_night),
        day_code=shown_day,
        night_code=shown_night,
        wind_text=wind_text(measures["wind_direction"], measures["wind_force"]),
        **measures,
    )
