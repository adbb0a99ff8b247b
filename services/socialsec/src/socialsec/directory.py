"""Public lookups: the branch offices of the towns, the policy FAQ and the contribution rates."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, or_, select

from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import NotFound
from servicekit.search import contains
from socialsec.models import (
    ContributionRate,
    ContributionRatePublic,
    Faq,
    FaqPublic,
    Office,
    OfficePublic,
)
from socialsec.public import rate_public
from socialsec.rates import Insurance


def office(session: Session, town: str) -> OfficePublic:
    """The office of `town`, or a 404 problem telling the citizen which codes exist."""
    found = session.get(Office, town)
    if found is None:
        raise NotFound(
            f"未找到镇街“{town}”的社保分局，请使用 /v1/offices 中的镇街代码，如 dalang。"
        )
    return OfficePublic.model_validate(found, from_attributes=True)


def offices(session: Session, page: PageParams, *, town: str | None = None) -> Page[OfficePublic]:
    """The branch offices of the 33 divisions, or of one town; an unknown town is a 404."""
    query = select(Office)
    if town:
        # A town the city does not have is a mistake worth telling, not an empty list.
        office(session, town)
        query = query.where(Office.town == town)
    return paginate(session, query, page, order_by=Office.town, public=OfficePublic)


def faq(
    session: Session, page: PageParams, *, q: str | None = None, category: str | None = None
) -> Page[FaqPublic]:
    """Questions whose question or answer contains every word of `q` (`%` and `_` literally)."""
    query = select(Faq)
    for word in (q or "").split():
        query = query.where(or_(contains(col(Faq.question), word), contains(col(Faq.answer), word)))
    if category:
        query = query.where(Faq.category == category)
    return paginate(session, query, page, order_by=Faq.code, public=FaqPublic)


def rates(
    session: Session,
    page: PageParams,
    *,
    region: str,
    insurance: Insurance | None = None,
    on: date | None = None,
) -> Page[ContributionRatePublic]:
    """Rate rows of a region, newest first; with `on`, only the row of each insurance in force."""
    query = select(ContributionRate).where(ContributionRate.region == region)
    if insurance:
        query = query.where(ContributionRate.insurance == insurance)
    rows = list(session.exec(query.order_by(col(ContributionRate.effective_from).desc())).all())
    if on is not None:
        in_force: dict[str, ContributionRate] = {}
        for rate in rows:
            if rate.effective_from <= on and rate.insurance not in in_force:
                in_force[rate.insurance] = rate
        rows = list(in_force.values())
    return Page(
        items=[rate_public(r) for r in rows[page.offset : page.offset + page.limit]],
        total=len(rows),
    )
