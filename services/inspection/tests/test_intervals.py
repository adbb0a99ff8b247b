"""Periodic-inspection intervals per category, as table tests."""

from datetime import date

import pytest

from inspection.intervals import Conclusion, add_months, conclusions_of, first_due, next_due
from inspection.varieties import BY_CODE

LAST = date(2025, 3, 10)


@pytest.mark.parametrize(
    ("variety", "conclusion", "level", "due"),
    [
        ("3110", "合格", None, date(2026, 3, 10)),  # lift: 1 year (TSG T7001)
        ("3310", "复检合格", None, date(2026, 3, 10)),  # escalator: 1 year
        ("1100", "符合要求", None, date(2026, 3, 10)),  # boiler external inspection: 1 year
        ("1200", "基本符合要求", None, date(2026, 3, 10)),
        ("2150", "符合要求", 1, date(2031, 3, 10)),  # vessel level 1-2: 6 years (TSG 21)
        ("2170", "符合要求", 2, date(2031, 3, 10)),
        ("2150", "基本符合要求", 3, date(2028, 3, 10)),  # level 3: 3 years
        ("2150", "基本符合要求", 4, date(2026, 3, 10)),  # level 4, monitored: 1 year
        ("2150", "不符合要求", 5, None),  # level 5: not to be used
        ("2150", "符合要求", None, None),  # a vessel inspection always grades it
        ("4110", "合格", None, date(2027, 3, 10)),  # bridge crane: 2 years (TSG Q7015)
        ("4210", "合格", None, date(2027, 3, 10)),  # gantry crane: 2 years
        ("4310", "合格", None, date(2026, 3, 10)),  # tower crane: 1 year
        ("4410", "合格", None, date(2026, 3, 10)),  # mobile crane: 1 year
        ("4860", "合格", None, date(2026, 3, 10)),  # construction hoist: 1 year
        ("5110", "合格", None, date(2026, 3, 10)),  # forklift: 1 year (TSG N0001)
        ("3110", "不合格", None, None),  # failed: no next date until re-inspection
        ("1100", "不符合要求", None, None),
    ],
)
def test_next_due(
    variety: str, conclusion: Conclusion, level: int | None, due: date | None
) -> None:
    assert (
        next_due(variety=BY_CODE[variety], last=LAST, conclusion=conclusion, safety_level=level)
        == due
    )


@pytest.mark.parametrize(
    ("variety", "in_service", "due"),
    [
        ("2150", date(2024, 5, 1), date(2027, 5, 1)),  # vessels: within 3 years of service
        ("3110", date(2024, 5, 1), date(2025, 5, 1)),
        ("4110", date(2024, 5, 1), date(2026, 5, 1)),
    ],
)
def test_first_due(variety: str, in_service: date, due: date) -> None:
    assert first_due(variety=BY_CODE[variety], in_service=in_service) == due


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 72, date(2031, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_the_months_last(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("variety", "failing"), [("3110", "不合格"), ("5110", "不合格"), ("1100", "不符合要求")]
)
def test_each_category_fails_in_its_own_words(variety: str, failing: str) -> None:
    assert conclusions_of(BY_CODE[variety])[-1] == failing
