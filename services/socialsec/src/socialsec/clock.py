"""Months (缴费期) and ages; the shared time helpers are `servicekit.clock`.

A month is the `date` of its first day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import NamedTuple


def month_of(day: date) -> date:
    """The month (its first day) that `day` falls in."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The month `count` months after (or before, when negative) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from `first` through `last`, both included (0 when last < first)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def month_range(first: date, last: date) -> Iterator[date]:
    """Every month from `first` through `last`, both included."""
    for offset in range(months_between(first, last)):
        yield add_months(first, offset)


def month_label(month: date) -> str:
    """`YYYY-MM`, as months appear in the API."""
    return f"{month:%Y-%m}"


class Period(NamedTuple):
    """A period of months, first and last included."""

    first: date
    last: date

    @property
    def label(self) -> str:
        """`YYYY-MM至YYYY-MM`, for access-log details and certificates."""
        return f"{month_label(self.first)}至{month_label(self.last)}"


def age_on(*, birth: date, day: date) -> int:
    """Full years of age on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
