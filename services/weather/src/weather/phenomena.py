"""Chinese weather phenomena: WMO mapping, rain grades (GB/T 28592-2012) and day texts.

A source's codes are corrected by the day's 24 h amount before anything is shown: the daily WMO
code is the worst of the day, and people complain of thunderstorms on dry days and of rain
texts that disagree with the amount. The amount wins.
"""

from __future__ import annotations

from weather.reference import phenomenon_names, wmo_to_cma

# (lower bound of the 24 h amount in mm, CMA code), heaviest first.
RAIN_GRADES: tuple[tuple[float, str], ...] = (
    (250.0, "12"),  # 特大暴雨
    (100.0, "11"),  # 大暴雨
    (50.0, "10"),  # 暴雨
    (25.0, "09"),  # 大雨
    (10.0, "08"),  # 中雨
    (0.1, "07"),  # 小雨
)
RAIN_CODES = frozenset({"07", "08", "09", "10", "11", "12"})
SHOWER_CODES = frozenset({"03", "13"})  # 阵雨, 阵雪
THUNDER_CODES = frozenset({"04", "05"})  # 雷阵雨, 雷阵雨伴有冰雹
HEAVY_CODES = frozenset({"05", "09", "10", "11", "12"})  # hail, 大雨 and worse
SNOW_AND_ICE_CODES = frozenset({"13", "14", "15", "16", "19"})
PRECIPITATION_CODES = RAIN_CODES | SHOWER_CODES | THUNDER_CODES | SNOW_AND_ICE_CODES
# Showers and thunderstorms this wet are announced by their grade (大雨, 暴雨, ...), which
# matters more to the public than their showery nature; hail stays hail.
SHOWER_GRADED_FROM_MM = 25.0


def rain_grade_code(amount_mm: float) -> str | None:
    """CMA code of the rain grade for a 24 h amount, or None below 0.1 mm."""
    for lower, code in RAIN_GRADES:
        if amount_mm >= lower:
            return code
    return None


def phenomenon_name(code: str) -> str:
    """Chinese name of a CMA phenomenon code."""
    return phenomenon_names()[code]


def cma_code_for_wmo(wmo_code: int) -> str | None:
    """The CMA code of a WMO weather code (`weather_codes.csv`), None when it has none."""
    return wmo_to_cma().get(wmo_code)


def _dry_half(code: str) -> str:
    """What a rain or shower half-day shows when the day stays dry."""
    if code in RAIN_CODES:
        return "02"  # rain was expected, none will fall: overcast
    if code in SHOWER_CODES | THUNDER_CODES:
        return "01"  # convective cloud without rain: cloudy
    return code


def _wet_half(code: str, amount_mm: float, grade: str) -> str:
    """What a precipitation half-day shows given the day's amount (at least 0.1 mm)."""
    if code in RAIN_CODES:
        return grade
    if code in {"03", "04"} and amount_mm >= SHOWER_GRADED_FROM_MM:
        return grade
    return code


def phenomenon_codes(*, day_code: str, night_code: str, rain_mm: float) -> tuple[str, str]:
    """Day and night CMA codes corrected by the day's 24 h amount (the amount wins)."""
    grade = rain_grade_code(rain_mm)
    if grade is None:
        return _dry_half(day_code), _dry_half(night_code)
    if day_code not in PRECIPITATION_CODES and night_code not in PRECIPITATION_CODES:
        return grade, grade  # it rains, though neither half said when
    return _wet_half(day_code, rain_mm, grade), _wet_half(night_code, rain_mm, grade)


def day_text(day_code: str, night_code: str) -> str:
    """`A` when day and night agree, else `A转B`."""
    day, night = phenomenon_name(day_code), phenomenon_name(night_code)
    return day if day == night else f"{day}转{night}"
