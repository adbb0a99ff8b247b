"""Contribution rates as effective-dated data, and the pure arithmetic of one month's contribution.

A rate row (region, insurance, effective_from, employer %, employee %, base floor and ceiling)
is in force from its first day until the next row of the same region and insurance; a month is
charged by the row in force on its first day, so a rate change mid-history changes only the
months from its effective date on. The declared base is clamped to the row's floor and ceiling,
and each part is base x rate rounded half up to the fen. Percentages are held as basis points
(1% = 100) so the arithmetic stays in integers.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Literal

from socialsec.data import csv_rows

Insurance = Literal["pension", "medical", "unemployment", "work_injury", "maternity"]
INSURANCES: tuple[Insurance, ...] = (
    "pension",
    "medical",
    "unemployment",
    "work_injury",
    "maternity",
)
INSURANCE_NAMES: dict[str, str] = {
    "pension": "养老保险",
    "medical": "医疗保险",
    "unemployment": "失业保险",
    "work_injury": "工伤保险",
    "maternity": "生育保险",
}


class RateMissing(LookupError):
    """No rate row is in force for a month (the month precedes the table)."""


@dataclass(frozen=True)
class Rate:
    """One effective-dated rate row."""

    region: str
    insurance: str
    effective_from: date
    employer_bp: int
    employee_bp: int
    base_min_fen: int
    base_max_fen: int
    source: str


@dataclass(frozen=True)
class MonthlyAmount:
    """What one month of one insurance costs: the base charged and each party's part."""

    base_fen: int
    employer_fen: int
    employee_fen: int


def pct_to_bp(*, pct: str) -> int:
    """A percentage as written in the table (`0.64`) in basis points (64); finer is an error."""
    value = Decimal(pct) * 100
    if value != value.to_integral_value():
        raise ValueError(f"rate {pct}% is finer than a basis point")
    return int(value)


def part_fen(*, base_fen: int, bp: int) -> int:
    """`base_fen` x `bp` basis points, rounded half up to the fen."""
    return (base_fen * bp + 5_000) // 10_000


class RateBook:
    """Rate rows indexed by region and insurance, for many look-ups."""

    def __init__(self, rates: Sequence[Rate]) -> None:
        self._rows: dict[tuple[str, str], list[Rate]] = {}
        for rate in sorted(rates, key=lambda r: r.effective_from):
            self._rows.setdefault((rate.region, rate.insurance), []).append(rate)
        self._starts = {key: [r.effective_from for r in rows] for key, rows in self._rows.items()}
        # Histories ask for the same few hundred months again and again.
        self._memo: dict[tuple[str, str, date], Rate] = {}

    def in_force(self, *, region: str, insurance: str, month: date) -> Rate:
        """The row of `region` and `insurance` in force on the first day of `month`."""
        memo_key = (region, insurance, month)
        if memo_key in self._memo:
            return self._memo[memo_key]
        key = (region, insurance)
        index = bisect.bisect_right(self._starts.get(key, []), month) - 1
        if index < 0:
            raise RateMissing(f"no {region} {insurance} rate in force in {month:%Y-%m}")
        self._memo[memo_key] = self._rows[key][index]
        return self._rows[key][index]


def monthly_amount(*, rate: Rate, declared_base_fen: int) -> MonthlyAmount:
    """One month's contribution under `rate`: the base clamped to its limits, times each rate."""
    base = min(max(declared_base_fen, rate.base_min_fen), rate.base_max_fen)
    return MonthlyAmount(
        base_fen=base,
        employer_fen=part_fen(base_fen=base, bp=rate.employer_bp),
        employee_fen=part_fen(base_fen=base, bp=rate.employee_bp),
    )


@cache
def rate_table() -> tuple[Rate, ...]:
    """The rows of `contribution_rates.csv`."""
    return tuple(
        Rate(
            region=r["region"],
            insurance=r["insurance"],
            effective_from=date.fromisoformat(r["effective_from"]),
            employer_bp=pct_to_bp(pct=r["employer_pct"]),
            employee_bp=pct_to_bp(pct=r["employee_pct"]),
            base_min_fen=int(r["base_min_fen"]),
            base_max_fen=int(r["base_max_fen"]),
            source=r["source"],
        )
        for r in csv_rows("contribution_rates.csv")
    )


@cache
def pension_interest_bp() -> dict[int, int]:
    """The pension individual account's yearly crediting rate (记账利率), basis points by year."""
    return {int(r["year"]): pct_to_bp(pct=r["rate_pct"]) for r in csv_rows("pension_interest.csv")}
