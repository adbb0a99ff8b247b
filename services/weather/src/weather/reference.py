"""Reference tables shipped with the package: divisions, climate normals, phenomenon codes,
Guangdong warning signals."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Division:
    """A town, subdistrict or zone of Dongguan (or the city itself) and where it lies."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float
    confidence: str


# The city as a whole, for city-wide answers (centre 23.02 N 113.75 E, admin code 441900).
CITY = Division("dongguan", "东莞市", "city", 23.02, 113.75, "sourced")


@dataclass(frozen=True)
class Hazard:
    """One hazard of Guangdong's warning signals and its colours, weakest first."""

    letter: str
    code: str
    name: str
    colours: tuple[str, ...]


COLOUR_NAMES = {"white": "白色", "blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
ACTION_NAMES = {"issue": "发布", "upgrade": "升级", "downgrade": "降级", "lift": "解除"}


@dataclass(frozen=True)
class MonthNormal:
    """One month of Dongguan's 1991-2020 climate normals."""

    month: int
    mean_min_c: float
    mean_max_c: float
    precip_mm: float
    rain_days: int


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("weather.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def divisions() -> tuple[Division, ...]:
    """The 33 towns, subdistricts and zones of `dongguan_divisions.csv`."""
    return tuple(
        Division(r["code"], r["name"], r["kind"], float(r["lat"]), float(r["lon"]), r["confidence"])
        for r in _rows("dongguan_divisions.csv")
    )


@cache
def climate_normals() -> dict[int, MonthNormal]:
    """Dongguan 1991-2020 monthly normals by month number."""
    return {
        int(r["month"]): MonthNormal(
            int(r["month"]),
            float(r["mean_min_c"]),
            float(r["mean_max_c"]),
            float(r["precip_mm"]),
            int(r["rain_days"]),
        )
        for r in _rows("dongguan_climate_normals.csv")
    }


@cache
def phenomenon_names() -> dict[str, str]:
    """CMA phenomenon code -> Chinese name."""
    return {r["cma_code"]: r["name_zh"] for r in _rows("weather_codes.csv")}


@cache
def wmo_to_cma() -> dict[int, str]:
    """WMO weather code -> CMA phenomenon code (our mapping, `weather_codes.csv`)."""
    return {
        int(wmo): r["cma_code"]
        for r in _rows("weather_codes.csv")
        for wmo in r["wmo_codes"].split(";")
        if wmo
    }


@cache
def hazards() -> dict[str, Hazard]:
    """The ten hazards of `warning_signals.csv` by English code (typhoon, rainstorm, ...)."""
    return {
        r["hazard_en"]: Hazard(
            r["letter"], r["hazard_en"], r["hazard_zh"], tuple(r["colours"].split(";"))
        )
        for r in _rows("warning_signals.csv")
    }


@cache
def location_names() -> dict[str, str]:
    """Code -> Chinese name of the city and its 33 locations."""
    return {CITY.code: CITY.name} | {d.code: d.name for d in divisions()}


def signal_name(hazard: str, colour: str) -> str:
    """`暴雨橙色预警信号`."""
    return f"{hazards()[hazard].name}{COLOUR_NAMES[colour]}预警信号"
