"""Contribution details from declared spans: pure functions, no database.

An employer declares a person's base for a span of months (one row per job and year), paid or
still owed. Each month of a span is charged, per insurance, by the rate in force that month
(`socialsec.rates`). A gap month (断缴) is a month between the first declared month and the end of
the period looked at in which nothing was declared; months after retirement are not gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from socialsec.clock import add_months, month_range
from socialsec.rates import INSURANCES, MonthlyAmount, Rate, RateBook, monthly_amount

PaymentStatus = Literal["paid", "owed"]


@dataclass(frozen=True)
class Span:
    """A declared span of months (first and last month included) at one base."""

    first: date
    last: date
    base_fen: int
    status: PaymentStatus
    employer: str


@dataclass(frozen=True, slots=True)
class MonthRow:
    """One month of one insurance."""

    month: date
    insurance: str
    employer: str
    base_fen: int
    employer_fen: int
    employee_fen: int
    status: PaymentStatus

    @property
    def total_fen(self) -> int:
        """Employer and employee parts together."""
        return self.employer_fen + self.employee_fen


@dataclass
class Totals:
    """Sums over month rows, split by paid and owed."""

    months_paid: int = 0
    months_owed: int = 0
    employer_fen: int = 0
    employee_fen: int = 0
    paid_fen: int = 0
    owed_fen: int = 0

    @property
    def total_fen(self) -> int:
        """Employer and employee parts together."""
        return self.employer_fen + self.employee_fen


@dataclass
class Summary:
    """Totals of a period, per insurance and overall, with the gap months."""

    first: date
    last: date
    overall: Totals = field(default_factory=Totals)
    by_insurance: dict[str, Totals] = field(default_factory=dict)
    gaps: list[date] = field(default_factory=list)


def month_rows(
    *,
    spans: Sequence[Span],
    rates: RateBook,
    region: str,
    first: date,
    last: date,
    insurances: Sequence[str] = INSURANCES,
) -> list[MonthRow]:
    """Every month of every insurance declared between `first` and `last`, newest first."""
    rows = []
    amounts: dict[tuple[Rate, int], MonthlyAmount] = {}
    for span in spans:
        for month in month_range(max(span.first, first), min(span.last, last)):
            for insurance in insurances:
                rate = rates.in_force(region=region, insurance=insurance, month=month)
                key = (rate, span.base_fen)
                if key not in amounts:
                    amounts[key] = monthly_amount(rate=rate, declared_base_fen=span.base_fen)
                amount = amounts[key]
                rows.append(
                    MonthRow(
                        month=month,
                        insurance=insurance,
                        employer=span.employer,
                        base_fen=amount.base_fen,
                        employer_fen=amount.employer_fen,
                        employee_fen=amount.employee_fen,
                        status=span.status,
                    )
                )
    order = {name: index for index, name in enumerate(INSURANCES)}
    rows.sort(key=lambda r: (-r.month.toordinal(), order[r.insurance]))
    return rows


def gap_months(*, spans: Sequence[Span], first: date, last: date) -> list[date]:
    """Months from `first` to `last` after the first declared month with nothing declared."""
    if not spans:
        return []
    start = max(first, min(s.first for s in spans))
    declared = {m for s in spans for m in month_range(s.first, s.last)}
    return [m for m in month_range(start, last) if m not in declared]


def summarise(
    *, rows: Sequence[MonthRow], spans: Sequence[Span], first: date, last: date, gaps_until: date
) -> Summary:
    """Totals of `rows` (all of one period), and the gaps of `first` to `gaps_until`."""
    summary = Summary(first=first, last=last)
    months: dict[str, dict[PaymentStatus, set[date]]] = {}
    for row in rows:
        for totals, key in (
            (summary.overall, ""),
            (summary.by_insurance.setdefault(row.insurance, Totals()), row.insurance),
        ):
            totals.employer_fen += row.employer_fen
            totals.employee_fen += row.employee_fen
            if row.status == "paid":
                totals.paid_fen += row.total_fen
            else:
                totals.owed_fen += row.total_fen
            months.setdefault(key, {"paid": set(), "owed": set()})[row.status].add(row.month)
    for key, seen in months.items():
        totals = summary.overall if key == "" else summary.by_insurance[key]
        totals.months_paid = len(seen["paid"])
        totals.months_owed = len(seen["owed"])
    summary.gaps = gap_months(spans=spans, first=first, last=min(last, gaps_until))
    return summary


def continuous_months(*, spans: Sequence[Span], until: date) -> int:
    """Months declared without a break up to and including `until` (0 if `until` is undeclared)."""
    declared = {m for s in spans for m in month_range(s.first, s.last)}
    count = 0
    month = until
    while month in declared:
        count += 1
        month = add_months(month, -1)
    return count
