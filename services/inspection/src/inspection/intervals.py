"""When equipment is next due for periodic inspection (定期检验), from its last one.

- lifts, boilers (the yearly external inspection), tower and mobile cranes, hoists and in-plant
  vehicles: 12 months; bridge and gantry cranes: 24 months (the variety's `interval_months`);
- pressure vessels: the first inspection within 36 months of entering service; then by the
  safety level (安全状况等级) the last inspection gave: levels 1-2 every 72 months, level 3
  every 36 months, level 4 (监控使用) 12 months, level 5 none (判废);
- a failed inspection sets no next date: the equipment may not be used until a re-inspection
  passes.

Sources and the assumptions made are in REFERENCE.md.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from typing import Literal

from inspection.varieties import Variety

Conclusion = Literal["合格", "复检合格", "不合格", "符合要求", "基本符合要求", "不符合要求"]
PASSED: frozenset[Conclusion] = frozenset({"合格", "复检合格", "符合要求", "基本符合要求"})
# Fixed-interval categories conclude 合格/不合格; boilers and vessels 符合要求/不符合要求.
GRADED_CATEGORIES = frozenset({"锅炉", "压力容器"})
VESSEL_FIRST_MONTHS = 36
VESSEL_MONTHS_BY_LEVEL = {1: 72, 2: 72, 3: 36, 4: 12}


def add_months(day: date, months: int) -> date:
    """`day` moved `months` later, on the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def conclusions_of(variety: Variety) -> tuple[Conclusion, ...]:
    """The conclusions an inspection of `variety` may reach, passing ones first."""
    if variety.category in GRADED_CATEGORIES:
        return ("符合要求", "基本符合要求", "不符合要求")
    return ("合格", "复检合格", "不合格")


def first_due(*, variety: Variety, in_service: date) -> date:
    """The first periodic inspection's due date of equipment never inspected since service."""
    months = VESSEL_FIRST_MONTHS if variety.category == "压力容器" else variety.interval_months
    return add_months(in_service, months)


def next_due(
    *, variety: Variety, last: date, conclusion: Conclusion, safety_level: int | None = None
) -> date | None:
    """The next periodic inspection's due date after the one on `last`, or None when that one
    failed (or judged a vessel level 5)."""
    if conclusion not in PASSED:
        return None
    if variety.category != "压力容器":
        return add_months(last, variety.interval_months)
    months = VESSEL_MONTHS_BY_LEVEL.get(safety_level or 0)
    return None if months is None else add_months(last, months)
