from datetime import date

import pytest

from weather.reference import climate_normals, divisions
from weather.synthetic import synthetic_forecast


def test_same_inputs_same_forecast() -> None:
    dalang = next(d for d in divisions() if d.code == "dalang")
    assert synthetic_forecast(division=dalang, start=date(2026, 7, 1)) == synthetic_forecast(
        division=dalang, start=date(2026, 7, 1)
    )


@pytest.mark.parametrize("month", range(1, 13))
def test_temperatures_stay_near_the_month_normals(month: int) -> None:
    normal = climate_normals()[month]
    highs, lows = [], []
    for division in divisions():
        for day in synthetic_forecast(division=division, start=date(2025, month, 1), days=20):
            assert day.temp_min_c < day.temp_max_c
            assert 0 <= day.rain_probability <= 100 and day.rain_mm >= 0
            highs.append(day.temp_max_c)
            lows.append(day.temp_min_c)
    assert abs(sum(highs) / len(highs) - normal.mean_max_c) < 3.0
    assert abs(sum(lows) / len(lows) - normal.mean_min_c) < 3.0


def test_wet_season_is_wetter_than_dry_season() -> None:
    guancheng = next(d for d in divisions() if d.code == "guancheng")

    def wet_days(start: date) -> int:
        days = synthetic_forecast(division=guancheng, start=start, days=90)
        return sum(1 for d in days if d.rain_mm > 0)

    assert wet_days(date(2025, 5, 1)) > 2 * wet_days(date(2025, 11, 1))


def test_rain_is_reported_in_the_text_and_amount_together() -> None:
    guancheng = next(d for d in divisions() if d.code == "guancheng")
    start = date(2025, 6, 1)
    for day in synthetic_forecast(division=guancheng, start=start, days=60):
        rainy_text = any(word in day.text for word in ("雨",))
        assert rainy_text == (day.rain_mm > 0), day
