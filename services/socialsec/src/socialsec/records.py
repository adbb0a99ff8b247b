"""Reading a person's records from the database into the pure domain types."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from socialsec.clock import add_months
from socialsec.contributions import MonthRow, Span, Summary, month_rows, summarise
from socialsec.models import ContributionRate, ContributionSpan, Employer, InsuredPerson
from socialsec.rates import INSURANCES, Rate, RateBook

STATUS_TEXT = {"active": "在职参保", "suspended": "暂停缴费", "retired": "退休"}


def person_spans(session: Session, *, person_id: int) -> list[Span]:
    """The declared spans of a person, oldest first, with their employers' names."""
    query = (
        select(ContributionSpan, Employer.name)
        .join(Employer, col(Employer.id) == ContributionSpan.employer_id)
        .where(ContributionSpan.person_id == person_id)
        .order_by(col(ContributionSpan.first_month))
    )
    return [
        Span(s.first_month, s.last_month, s.base_fen, s.status, name)
        for s, name in session.exec(query).all()
    ]


def rate_book(session: Session, *, region: str) -> RateBook:
    """The rate rows of `region` held in the database."""
    rows = session.exec(select(ContributionRate).where(ContributionRate.region == region)).all()
    # The table's columns are the rate's fields, one for one.
    return RateBook([Rate(**r.model_dump()) for r in rows])


def gaps_until(*, person: InsuredPerson, last_month: date) -> date:
    """The last month that can be a gap: last month, or the month before retirement."""
    if person.retired_on is not None:
        return min(last_month, add_months(person.retired_on, -1))
    return last_month


def contributions(
    session: Session,
    *,
    person: InsuredPerson,
    region: str,
    first: date,
    last: date,
    this_month: date,
    insurances: Sequence[str] = INSURANCES,
) -> tuple[list[MonthRow], Summary, list[Span]]:
    """Month rows of a period (newest first), their summary, and the spans behind them."""
    assert person.id is not None
    spans = person_spans(session, person_id=person.id)
    rows = month_rows(
        spans=spans,
        rates=rate_book(session, region=region),
        region=region,
        first=first,
        last=last,
        insurances=insurances,
    )
    summary = summarise(
        rows=rows,
        spans=spans,
        first=first,
        last=last,
        gaps_until=gaps_until(person=person, last_month=add_months(this_month, -1)),
    )
    return rows, summary, spans
