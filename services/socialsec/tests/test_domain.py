"""Pure rules: gaps and totals, individual accounts, eligibility."""

from datetime import date

import pytest

from socialsec.accounts import medical_entries, pension_amounts, pension_entries, yearly_credits
from socialsec.contributions import MonthRow, Span, continuous_months, gap_months, summarise
from socialsec.eligibility import CardFacts, elderly_free_bus, provident_fund_withdrawal

JOB_A = Span(date(2020, 1, 1), date(2020, 6, 1), 500_000, "paid", "甲公司")
JOB_B = Span(date(2020, 10, 1), date(2021, 3, 1), 500_000, "owed", "乙公司")


@pytest.mark.parametrize(
    ("first", "last", "gaps"),
    [
        (date(2019, 1, 1), date(2021, 3, 1), ["2020-07", "2020-08", "2020-09"]),
        (date(2020, 8, 1), date(2021, 5, 1), ["2020-08", "2020-09", "2021-04", "2021-05"]),
        (date(2020, 1, 1), date(2020, 6, 1), []),
    ],
)
def test_gap_months(first: date, last: date, gaps: list[str]) -> None:
    found = gap_months(spans=[JOB_A, JOB_B], first=first, last=last)
    assert [f"{m:%Y-%m}" for m in found] == gaps


def test_continuous_months_count_back_from_the_end() -> None:
    assert continuous_months(spans=[JOB_A, JOB_B], until=date(2021, 3, 1)) == 6
    assert continuous_months(spans=[JOB_A, JOB_B], until=date(2020, 8, 1)) == 0


def test_summary_splits_paid_and_owed() -> None:
    rows = [
        MonthRow(date(2020, 1, 1), "pension", "甲", 500_000, 70_000, 40_000, "paid"),
        MonthRow(date(2020, 1, 1), "medical", "甲", 500_000, 20_000, 10_000, "paid"),
        MonthRow(date(2020, 10, 1), "pension", "乙", 500_000, 70_000, 40_000, "owed"),
    ]
    summary = summarise(
        rows=rows,
        spans=[JOB_A, JOB_B],
        first=date(2020, 1, 1),
        last=date(2020, 10, 1),
        gaps_until=date(2020, 10, 1),
    )
    assert (summary.overall.months_paid, summary.overall.months_owed) == (1, 1)
    assert summary.overall.paid_fen == 140_000 and summary.overall.owed_fen == 110_000
    assert summary.overall.total_fen == 250_000
    assert summary.by_insurance["pension"].months_owed == 1
    assert len(summary.gaps) == 3


def test_pension_account_credits_interest_and_payout() -> None:
    entries = pension_entries(
        credits={2020: 100_000, 2021: 100_000},
        interest_bp={2020: 600, 2021: 600, 2022: 600},
        as_of=date(2022, 6, 30),
        retired_on=date(2022, 1, 1),
    )
    kinds = [(e.posted_on.year, e.kind, e.amount_fen) for e in entries]
    # Interest on the opening balance only: 2020 opens empty, 2021 opens at 100,000.
    assert kinds[:3] == [
        (2020, "credit", 100_000),
        (2021, "credit", 100_000),
        (2021, "interest", 6_000),
    ]
    monthly = 206_000 // 139
    assert kinds[3] == (2022, "payout", -monthly * 6)
    assert entries[-1].balance_fen == 206_000 - monthly * 6


def test_medical_spending_never_overdraws() -> None:
    entries = medical_entries(
        credits={2024: 10_000},
        spending=[(date(2025, 3, 1), 4_000, "门诊就医"), (date(2025, 4, 1), 9_000, "定点药店购药")],
        as_of=date(2025, 6, 1),
    )
    assert [(e.amount_fen, e.balance_fen) for e in entries] == [
        (10_000, 10_000),
        (-4_000, 6_000),
        (-6_000, 0),
    ]


def test_yearly_credits_count_paid_months_only() -> None:
    rows = [
        MonthRow(date(2020, 1, 1), "pension", "甲", 1, 0, 400, "paid"),
        MonthRow(date(2020, 2, 1), "pension", "甲", 1, 0, 400, "owed"),
        MonthRow(date(2021, 1, 1), "pension", "甲", 1, 0, 500, "paid"),
        MonthRow(date(2021, 1, 1), "medical", "甲", 1, 0, 100, "paid"),
    ]
    assert yearly_credits(rows=rows, insurance="pension") == {2020: 400, 2021: 500}


def test_pensions_rise_each_january() -> None:
    months = [date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1)]
    amounts = pension_amounts(
        first_month_fen=300_000, retired_on=date(2023, 12, 1), months=months, yearly_raise_bp=400
    )
    assert amounts == [(date(2023, 12, 1), 300_000), (date(2024, 1, 1), 312_000)]


@pytest.mark.parametrize(
    ("status", "stage", "eligible", "unmet"),
    [
        ("normal", "collected", True, []),
        ("lost", "making", False, ["card_normal", "card_collected"]),
        ("normal", "ready", False, ["card_collected"]),
        ("cancelled", "collected", False, ["card_normal"]),
    ],
)
def test_provident_fund_rule(status: str, stage: str, eligible: bool, unmet: list[str]) -> None:
    result = provident_fund_withdrawal(
        card=CardFacts(
            status=status, stage=stage, bank="中国工商银行", bank_account="6222021234567890123"
        )
    )
    assert result.eligible is eligible
    assert [c.code for c in result.conditions if not c.met] == unmet
    assert ("尾号0123" in result.summary) is eligible
    assert "6222021234567890123" not in result.summary + "".join(c.text for c in result.conditions)


def test_provident_fund_rule_without_a_card() -> None:
    result = provident_fund_withdrawal(card=None)
    assert not result.eligible and "申领社保卡" in result.summary


@pytest.mark.parametrize(
    ("birth", "dongguan", "permit", "threshold", "eligible", "unmet"),
    [
        (date(1958, 4, 12), False, True, 65, True, []),
        (date(1961, 6, 16), False, True, 65, False, ["age"]),  # 64 until tomorrow
        (date(1961, 6, 15), False, True, 65, True, []),  # 65 today
        (date(1950, 1, 1), True, False, 65, False, ["not_dongguan_household", "residence_permit"]),
        (date(1978, 3, 15), False, True, 45, True, []),  # the threshold is a setting
    ],
)
def test_elderly_free_bus_rule(
    birth: date, dongguan: bool, permit: bool, threshold: int, eligible: bool, unmet: list[str]
) -> None:
    result = elderly_free_bus(
        birth_date=birth,
        on=date(2026, 6, 15),
        household_dongguan=dongguan,
        residence_permit=permit,
        age_threshold=threshold,
    )
    assert result.eligible is eligible
    assert [c.code for c in result.conditions if not c.met] == unmet
    assert f"{threshold}周岁" in result.conditions[0].text
