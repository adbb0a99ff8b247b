"""Rates as effective-dated data, and the arithmetic of a month's contribution."""

from datetime import date

import pytest

from socialsec.contributions import Span, month_rows, summarise
from socialsec.rates import (
    INSURANCES,
    Rate,
    RateBook,
    RateMissing,
    monthly_amount,
    part_fen,
    pct_to_bp,
    rate_table,
)


def rate(effective: date, employer_bp: int, employee_bp: int = 800, **kw: int) -> Rate:
    return Rate(
        region="dongguan",
        insurance="pension",
        effective_from=effective,
        employer_bp=employer_bp,
        employee_bp=employee_bp,
        base_min_fen=kw.get("base_min_fen", 100_000),
        base_max_fen=kw.get("base_max_fen", 2_000_000),
        source="demo",
    )


@pytest.mark.parametrize(
    ("pct", "bp"), [("14.00", 1400), ("0.64", 64), ("0.2", 20), ("8", 800), ("0", 0)]
)
def test_pct_to_bp(pct: str, bp: int) -> None:
    assert pct_to_bp(pct=pct) == bp


def test_pct_finer_than_a_basis_point_is_refused() -> None:
    with pytest.raises(ValueError, match="basis point"):
        pct_to_bp(pct="0.125")


@pytest.mark.parametrize(
    ("base", "bp", "fen"),
    [(500_000, 1400, 70_000), (500_000, 64, 3_200), (123_456, 20, 247), (125_000, 2, 25)],
)
def test_part_is_base_times_rate_rounded_half_up(base: int, bp: int, fen: int) -> None:
    assert part_fen(base_fen=base, bp=bp) == fen


@pytest.mark.parametrize(
    ("declared", "charged"), [(50_000, 100_000), (500_000, 500_000), (9_000_000, 2_000_000)]
)
def test_declared_base_is_clamped_to_the_rows_limits(declared: int, charged: int) -> None:
    amount = monthly_amount(rate=rate(date(2019, 1, 1), 1400), declared_base_fen=declared)
    assert amount.base_fen == charged
    assert amount.employer_fen == charged * 14 // 100
    assert amount.employee_fen == charged * 8 // 100


def test_the_row_in_force_on_the_first_of_the_month_applies() -> None:
    book = RateBook([rate(date(2019, 5, 1), 1400), rate(date(2016, 1, 1), 1300)])
    assert (
        book.in_force(region="dongguan", insurance="pension", month=date(2019, 4, 1)).employer_bp
        == 1300
    )
    assert (
        book.in_force(region="dongguan", insurance="pension", month=date(2019, 5, 1)).employer_bp
        == 1400
    )
    with pytest.raises(RateMissing):
        book.in_force(region="dongguan", insurance="pension", month=date(2015, 12, 1))
    with pytest.raises(RateMissing):
        book.in_force(region="guangzhou", insurance="pension", month=date(2019, 5, 1))


def test_a_rate_change_mid_history_changes_only_the_later_months() -> None:
    before = RateBook([rate(date(2016, 1, 1), 1300)])
    after = RateBook([rate(date(2016, 1, 1), 1300), rate(date(2019, 5, 1), 1600)])
    spans = [Span(date(2018, 1, 1), date(2020, 12, 1), 600_000, "paid", "某公司")]
    args = {
        "spans": spans,
        "region": "dongguan",
        "first": date(2018, 1, 1),
        "last": date(2020, 12, 1),
        "insurances": ("pension",),
    }
    old, new = month_rows(rates=before, **args), month_rows(rates=after, **args)
    assert len(old) == len(new) == 36
    for o, n in zip(old, new, strict=True):
        assert o.month == n.month and o.base_fen == n.base_fen == 600_000
        assert o.employer_fen == 78_000 and o.employee_fen == n.employee_fen == 48_000
        assert n.employer_fen == (96_000 if n.month >= date(2019, 5, 1) else 78_000)
    totals = summarise(
        rows=new,
        spans=spans,
        first=date(2018, 1, 1),
        last=date(2020, 12, 1),
        gaps_until=date(2020, 12, 1),
    )
    assert totals.overall.employer_fen == 16 * 78_000 + 20 * 96_000
    assert totals.overall.employer_fen == sum(r.employer_fen for r in new)


def test_the_shipped_table_covers_every_insurance_since_2010() -> None:
    book = RateBook(rate_table())
    for insurance in INSURANCES:
        for month in (date(2011, 1, 1), date(2019, 5, 1), date(2026, 6, 1)):
            row = book.in_force(region="dongguan", insurance=insurance, month=month)
            assert row.base_min_fen < row.base_max_fen


def test_employer_pension_rate_never_exceeds_the_national_cap_since_2019() -> None:
    for row in rate_table():
        if row.insurance == "pension" and row.effective_from >= date(2019, 5, 1):
            assert row.employer_bp <= 1600 and row.employee_bp == 800


def test_guangzhou_rows_are_the_reference_examples() -> None:
    rows = {r.insurance: r for r in rate_table() if r.region == "guangzhou"}
    assert {k: (r.employer_bp, r.employee_bp) for k, r in rows.items()} == {
        "pension": (1400, 800),
        "medical": (700, 200),
        "unemployment": (64, 20),
        "work_injury": (20, 0),
        "maternity": (85, 0),
    }
    assert all(r.source == "reference" for r in rows.values())
