"""Deadlines, late surcharge and decision numbers (reference: 行政处罚法 Art. 67 and 72)."""

from datetime import date, timedelta

import pytest

from traffic.penalties import (
    amount_due_fen,
    decision_number,
    due_date,
    overdue_days,
    surcharge_fen,
)
from traffic.validators import validate_decision_number

DAY0 = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("day", "due_fen"),
    [
        (0, 20000),
        (1, 20000),
        (15, 20000),
        (16, 20600),
        (17, 21200),
        (48, 39800),
        (49, 40000),
        (50, 40000),
        (400, 40000),
    ],
)
def test_a_200_yuan_fine(day: int, due_fen: int) -> None:
    assert amount_due_fen(fine_fen=20000, decided_on=DAY0, on=DAY0 + timedelta(days=day)) == due_fen


@pytest.mark.parametrize(
    ("day", "surcharge", "due"),
    [
        (15, 0, 5050),
        # 3% of 50.50 yuan is 1.515 yuan: the fraction of a fen is dropped.
        (16, 151, 5201),
        (17, 303, 5353),
        (48, 4999, 10049),
        (49, 5050, 10100),
        (90, 5050, 10100),
    ],
)
def test_a_fine_that_is_not_a_whole_yuan(day: int, surcharge: int, due: int) -> None:
    on = DAY0 + timedelta(days=day)
    assert surcharge_fen(fine_fen=5050, decided_on=DAY0, on=on) == surcharge
    assert amount_due_fen(fine_fen=5050, decided_on=DAY0, on=on) == due


@pytest.mark.parametrize(("day", "days"), [(0, 0), (15, 0), (16, 1), (49, 34), (-3, 0)])
def test_overdue_days(day: int, days: int) -> None:
    assert overdue_days(decided_on=DAY0, on=DAY0 + timedelta(days=day)) == days


def test_a_zero_fine_never_grows() -> None:
    assert amount_due_fen(fine_fen=0, decided_on=DAY0, on=DAY0 + timedelta(days=100)) == 0


@pytest.mark.parametrize(
    ("decided_on", "due_on"),
    [(date(2026, 3, 1), date(2026, 3, 16)), (date(2026, 12, 20), date(2027, 1, 4))],
)
def test_due_date_is_15_days_after_the_decision(decided_on: date, due_on: date) -> None:
    assert due_date(decided_on=decided_on) == due_on


@pytest.mark.parametrize(
    ("decided_on", "serial", "number"),
    [
        (date(2026, 6, 15), 1, "4419002600000015"),
        (date(2026, 6, 15), 3, "4419002600000031"),
        (date(2027, 1, 2), 1234567, "4419002712345670"),
    ],
)
def test_decision_numbers(decided_on: date, serial: int, number: str) -> None:
    made = decision_number(decided_on=decided_on, serial=serial)
    assert made == number and len(made) == 16
    assert validate_decision_number(number=made) == made


@pytest.mark.parametrize("serial", [0, 10_000_000])
def test_decision_serial_must_fit_seven_digits(serial: int) -> None:
    with pytest.raises(ValueError):
        decision_number(decided_on=DAY0, serial=serial)
