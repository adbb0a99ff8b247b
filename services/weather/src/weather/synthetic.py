"""A deterministic synthetic forecast built on Dongguan's climate normals (offline default source).

The same location and start date always give the same forecast. Weather is drawn per city and
day (towns a few kilometres apart share the weather) and nudged per town.
"""

from __future__ import annotations

import calendar
import hashlib
import random
from datetime import date, timedelta

from weather.daily import daily_forecast
from weather.models import DailyForecast
from weather.phenomena import rain_grade_code
from weather.reference import Division, MonthNormal, climate_normals

DIRECTIONS = ("北风", "东北风", "东风", "东南风", "南风", "西南风", "西风", "西北风")
# Prevailing winds: north-east monsoon in the cool season, south-east to south in summer.
PREVAILING = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 3, 9: 1, 10: 1, 11: 1, 12: 0}
CONVECTIVE_MONTHS = frozenset({4, 5, 6, 7, 8, 9})


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _local_offset(division: Division) -> float:
    """Inland north-east towns run slightly warmer by day than the coastal south-west."""
    return round((division.lon - 113.75) * 2.0 + (division.lat - 22.9) * 1.5, 2)


def synthetic_day(*, division: Division, day: date, normal: MonthNormal) -> DailyForecast:
    """The synthetic forecast of one day at one location."""
    city = _rng("city", day.isoformat())
    town = _rng("town", division.code, day.isoformat())
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    wet_chance = normal.rain_days / days_in_month
    wet = city.random() < wet_chance
    anomaly = city.gauss(0, 1.4)
    if wet:
        mean_amount = normal.precip_mm / normal.rain_days
        amount = round(max(0.1, city.expovariate(1 / mean_amount) * town.uniform(0.7, 1.3)), 1)
        probability = min(95, int(55 + city.random() * 35 + min(amount, 30) / 3))
    else:
        amount = 0.0
        probability = int(city.random() * 25)
    t_max = normal.mean_max_c + anomaly + _local_offset(division) - (2.0 if wet else 0.0)
    t_min = normal.mean_min_c + anomaly * 0.8 + town.uniform(-0.5, 0.5)
    t_min_i = round(t_min)

    convective = day.month in CONVECTIVE_MONTHS and city.random() < 0.6
    if wet:
        graded = rain_grade_code(amount) or "07"
        if convective:
            wet_code = "04" if amount >= 10 or city.random() < 0.4 else "03"
        else:
            wet_code = graded
        dry_code = "01" if city.random() < 0.6 else "02"
        day_code, night_code = (dry_code, wet_code) if city.random() < 0.4 else (wet_code, wet_code)
    else:
        cloud = city.random()
        day_code = "00" if cloud < 0.45 else "01" if cloud < 0.85 else "02"
        night_code = day_code if city.random() < 0.7 else "01"

    direction = DIRECTIONS[(PREVAILING[day.month] + city.choice((-1, 0, 0, 0, 1))) % 8]
    force = min(6, 2 + int(city.random() * 2) + (1 if wet and convective else 0))
    sunshine = 0.35 if wet else 1.0 if day_code == "00" else 0.7
    uv_peak = 4 + 7 * (1 - abs(day.month - 6.5) / 6.5)
    return daily_forecast(
        day=day,
        day_code=day_code,
        night_code=night_code,
        temp_min_c=t_min_i,
        temp_max_c=max(round(t_max), t_min_i + 2),  # a day spans at least 2 degrees
        rain_mm=amount,
        rain_probability=probability,
        wind_direction=direction,
        wind_force=force,
        uv_index=max(1, round(uv_peak * sunshine)),
    )


def synthetic_forecast(*, division: Division, start: date, days: int = 5) -> list[DailyForecast]:
    """`days` consecutive daily forecasts for `division` starting on `start`."""
    normals = climate_normals()
    return [
        synthetic_day(
            division=division,
            day=start + timedelta(n),
            normal=normals[(start + timedelta(n)).month],
        )
        for n in range(days)
    ]
