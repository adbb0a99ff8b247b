"""Overdue and the rider's notice, as table tests of the registry's pure rules."""

from datetime import date

import pytest

from inspection.models import Equipment
from inspection.registry import is_overdue

TODAY = date(2026, 6, 15)


def equipment(status: str, last: date | None, due: date | None) -> Equipment:
    return Equipment(
        registration_code="31104419002015060001",
        certificate_number="梯11粤S00001(15)",
        variety_code="3110",
        user_unit_code="91350100M000100Y43",
        address="南城街道鸿福路100号",
        town="nancheng",
        in_service=date(2015, 6, 15),
        last_inspection=last,
        conclusion=None,
        next_due=due,
        status=status,
    )


@pytest.mark.parametrize(
    ("status", "last", "due", "overdue"),
    [
        ("在用", date(2025, 7, 1), date(2026, 7, 1), False),
        ("在用", date(2025, 6, 15), date(2026, 6, 15), False),  # due today: still in date
        ("在用", date(2025, 6, 14), date(2026, 6, 14), True),
        ("在用", date(2026, 1, 1), None, True),  # failed and still in use
        ("在用", None, date(2027, 1, 1), False),  # a new vessel before its first inspection
        ("停用", date(2024, 1, 1), date(2025, 1, 1), False),
        ("报废", date(2024, 1, 1), None, False),
    ],
)
def test_overdue(status: str, last: date | None, due: date | None, overdue: bool) -> None:
    assert is_overdue(equipment=equipment(status, last, due), today=TODAY) is overdue
