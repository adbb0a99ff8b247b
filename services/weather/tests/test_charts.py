"""The 5-day chart: a phone-sized PNG whose every drawn character the chosen font covers."""

import struct
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from servicekit.cjk import CJKFontNotFound, missing_glyphs
from servicekit.clock import SHANGHAI
from servicekit.testing import require
from weather.charts import ChartCache, ChartText, app_charts, chart_text, find_chart_font
from weather.models import DailyForecast
from weather.reference import CITY, Division, divisions
from weather.serving import ServedForecast
from weather.synthetic import synthetic_forecast

EXTREME_DAY = DailyForecast(
    date=date(2026, 7, 1),
    text="雷阵雨伴有冰雹转特大暴雨",
    day_code="05",
    night_code="12",
    temp_min_c=-3,
    temp_max_c=38,
    rain_mm=260.5,
    rain_probability=100,
    wind_direction="无持续风向",
    wind_force=12,
    wind_text="无持续风向12级",
    uv_index=12,
)


def served(
    division: Division = CITY,
    start: date = date(2026, 6, 15),
    days: list[DailyForecast] | None = None,
) -> ServedForecast:
    issued = days is not None
    return ServedForecast(
        division=division,
        forecast_date=start,
        source="forecaster" if issued else "synthetic",
        issuance_id=7 if issued else None,
        issuance_version=3 if issued else None,
        issued_at=datetime(2026, 6, 15, 16, 0, tzinfo=SHANGHAI),
        days=days if issued else synthetic_forecast(division=division, start=start),
    )


def font_for(text: ChartText) -> Path:
    try:
        return find_chart_font(text)
    except CJKFontNotFound:
        require("no CJK font installed (Debian: fonts-wqy-microhei)")
        raise  # require() skips (or fails under CI); it never returns


def test_the_chosen_font_covers_every_character_of_every_chart() -> None:
    texts = [chart_text(served(d, date(2026, m, 1))) for d in (CITY, *divisions()) for m in (1, 7)]
    texts.append(chart_text(served(days=[EXTREME_DAY] * 5)))
    everything = "".join(t.all_text() for t in texts)
    font = font_for(texts[-1])
    assert "第3版" in texts[-1].subtitle and "暂无正式发布" in texts[0].subtitle
    assert "雷阵雨伴有冰雹\n转特大暴雨" in texts[-1].phenomena
    assert missing_glyphs(font, everything) == set()


def test_chart_png_is_phone_sized_cached_and_conditional(client: TestClient) -> None:
    font_for(chart_text(served()))
    response = client.get("/v1/forecasts/dalang/chart.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    png = response.content
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", png[16:24]) == (1080, 1350)
    assert response.headers["cache-control"].startswith("public")
    assert client.get("/v1/forecasts/dalang/chart.png").content == png
    assert len(app_charts(client.app)._items) == 1  # rendered once
    conditional = {"If-None-Match": response.headers["etag"]}
    assert client.get("/v1/forecasts/dalang/chart.png", headers=conditional).status_code == 304
    assert client.get("/v1/forecasts/atlantis/chart.png").status_code == 404


def test_a_missing_font_is_a_503_problem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_font(text: ChartText) -> Path:
        raise CJKFontNotFound("未找到中文字体，请安装 fonts-wqy-microhei")

    monkeypatch.setattr("weather.charts.find_chart_font", no_font)
    response = client.get("/v1/forecasts/dongguan/chart.png")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "fonts-wqy-microhei" in response.json()["detail"]


def test_chart_cache_drops_the_least_recently_used() -> None:
    cache = ChartCache(size=2)
    renders: list[str] = []

    def render(key: str):
        def _render() -> bytes:
            renders.append(key)
            return key.encode()

        return _render

    for key in ("a", "b", "a", "c", "a", "b"):
        assert cache.get(key, render(key)) == key.encode()
    assert renders == ["a", "b", "c", "b"]
