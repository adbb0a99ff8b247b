"""One served forecast day, the same for every source: codes corrected by the amount, texts."""

from __future__ import annotations

from datetime import date

from weather.models import DailyForecast
from weather.phenomena import day_text, phenomenon_codes


def wind_text(direction: str, force: int) -> str:
    """`东北风3级`."""
    return f"{direction}{force}级"


def daily_forecast(
    *,
    day: date,
    day_code: str,
    night_code: str,
    temp_min_c: int,
    temp_max_c: int,
    rain_mm: float,
    rain_probability: int,
    wind_direction: str,
    wind_force: int,
    uv_index: int,
) -> DailyForecast:
    """One served day: codes corrected by the amount, Chinese text, wind text."""
    shown_day, shown_night = phenomenon_codes(
        day_code=day_code, night_code=night_code, rain_mm=rain_mm
    )
    return DailyForecast(
        date=day,
        text=day_text(shown_day, shown_night),
        day_code=shown_day,
        night_code=shown_night,
        temp_min_c=temp_min_c,
        temp_max_c=temp_max_c,
        rain_mm=rain_mm,
        rain_probability=rain_probability,
        wind_direction=wind_direction,
        wind_force=wind_force,
        wind_text=wind_text(wind_direction, wind_force),
        uv_index=uv_index,
    )
