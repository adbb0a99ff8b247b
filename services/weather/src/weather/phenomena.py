"""Chinese weather phenomena: rain grades (GB/T 28592-2012) and day texts."""

from __future__ import annotations

from weather.reference import phenomenon_names

# (lower bound of the 24 h amount in mm, CMA code), heaviest first.
RAIN_GRADES: tuple[tuple[float, str], ...] = (
    (250.0, "12"),  # 特大暴雨
    (100.0, "11"),  # 大暴雨
    (50.0, "10"),  # 暴雨
    (25.0, "09"),  # 大雨
    (10.0, "08"),  # 中雨
    (0.1, "07"),  # 小雨
)


def rain_grade_code(amount_mm: float) -> str | None:
    """CMA code of the rain grade for a 24 h amount, or None below 0.1 mm."""
    for lower, code in RAIN_GRADES:
        if amount_mm >= lower:
            return code
    return None


def phenomenon_name(code: str) -> str:
    """Chinese name of a CMA phenomenon code."""
    return phenomenon_names()[code]


def day_text(day_code: str, night_code: str) -> str:
    """`A` when day and night agree, else `A转B`."""
    day, night = phenomenon_name(day_code), phenomenon_name(night_code)
    return day if day == night else f"{day}转{night}"
