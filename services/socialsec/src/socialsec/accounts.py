"""Individual accounts (个人账户) and pension payments: pure functions over contribution rows.

Pension account: each year is credited with the employee's pension part (8% of the base) of the
months paid that year, and earns the year's crediting rate (记账利率) on its opening balance at
the year's end. After retirement the account pays out balance/139 a month (计发月数 at 60)
until it is empty. Medical account: credited with the employee's medical part of paid months;
the seed adds spending at pharmacies and clinics. The seed posts one credit per year (year to
date for the current year), so histories stay short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from socialsec.contributions import MonthRow
from socialsec.rates import part_fen

PAYOUT_MONTHS = 139
KIND_TEXT = {
    "credit": "缴费划入",
    "interest": "利息",
    "spending": "支出",
    "payout": "按月支付",
}


@dataclass(frozen=True)
class Entry:
    """A posting to an account, with the balance after it."""

    posted_on: date
    kind: str
    amount_fen: int
    balance_fen: int
    note: str


def yearly_credits(*, rows: Iterable[MonthRow], insurance: str) -> dict[int, int]:
    """The employee part of paid months of one insurance, summed per calendar year."""
    credits: dict[int, int] = {}
    for row in rows:
        if row.insurance == insurance and row.status == "paid":
            credits[row.month.year] = credits.get(row.month.year, 0) + row.employee_fen
    return credits


def pension_entries(
    *,
    credits: Mapping[int, int],
    interest_bp: Mapping[int, int],
    as_of: date,
    retired_on: date | None,
) -> list[Entry]:
    """The pension account's postings from the first credited year to `as_of`, oldest first."""
    if not credits:
        return []
    entries: list[Entry] = []
    balance = 0
    monthly_payout = 0
    for year in range(min(credits), as_of.year + 1):
        closing = date(year, 12, 31)
        opening = balance
        if credits.get(year):
            balance += credits[year]
            posted = min(closing, as_of)
            note = f"{year}年度个人缴费划入" if posted == closing else f"{year}年截至当月划入"
            entries.append(Entry(posted, "credit", credits[year], balance, note))
        if retired_on is not None and retired_on.year <= year:
            if monthly_payout == 0:
                monthly_payout = balance // PAYOUT_MONTHS
            first = retired_on.month if retired_on.year == year else 1
            last = as_of.month if as_of.year == year else 12
            payout = min(balance, monthly_payout * max(0, last - first + 1))
            if payout:
                balance -= payout
                entries.append(
                    Entry(
                        min(closing, as_of), "payout", -payout, balance, f"{year}年个人账户养老金"
                    )
                )
        if closing <= as_of and opening:
            interest = part_fen(base_fen=opening, bp=interest_bp.get(year, 0))
            if interest:
                balance += interest
                entries.append(Entry(closing, "interest", interest, balance, f"{year}年度记账利息"))
    return entries


def medical_entries(
    *, credits: Mapping[int, int], spending: Iterable[tuple[date, int, str]], as_of: date
) -> list[Entry]:
    """The medical account's postings: yearly credits and the spending given, oldest first.

    A spending larger than the balance is cut to the balance (the rest is paid in cash).
    """
    events: list[tuple[date, int, str, int]] = []
    for year, amount in credits.items():
        posted = min(date(year, 12, 31), as_of)
        events.append((posted, 0, "credit", amount))
    for day, amount, note in spending:
        events.append((day, 1, note, -amount))
    entries = []
    balance = 0
    for day, _, note, amount in sorted(events):
        if amount > 0:
            balance += amount
            whole_year = day == date(day.year, 12, 31)
            note = f"{day.year}年度个人缴费划入" if whole_year else f"{day.year}年截至当月划入"
            entries.append(Entry(day, "credit", amount, balance, note))
        elif balance:
            paid = min(balance, -amount)
            balance -= paid
            entries.append(Entry(day, "spending", -paid, balance, note))
    return entries


def pension_amounts(
    *, first_month_fen: int, retired_on: date, months: Iterable[date], yearly_raise_bp: int
) -> list[tuple[date, int]]:
    """Each month's pension: the first amount, raised every January after retirement."""
    return [
        (
            month,
            first_month_fen
            + part_fen(base_fen=first_month_fen, bp=yearly_raise_bp)
            * (month.year - retired_on.year),
        )
        for month in months
        if month >= retired_on
    ]
