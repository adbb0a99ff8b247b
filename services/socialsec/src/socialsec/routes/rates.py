"""`/v1/rates`: contribution rates as effective-dated data (public)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from servicekit.deps import Page, PageDep, SessionDep
from socialsec.models import ContributionRate, ContributionRatePublic
from socialsec.rates import INSURANCE_NAMES, Insurance

router = APIRouter(prefix="/v1/rates", tags=["rates"])


def _public(rate: ContributionRate) -> ContributionRatePublic:
    return ContributionRatePublic(
        **rate.model_dump(),
        insurance_name=INSURANCE_NAMES[rate.insurance],
        employer_pct=rate.employer_bp / 100,
        employee_pct=rate.employee_bp / 100,
    )


@router.get("", response_model=Page[ContributionRatePublic], summary="社保费率（按生效日期）")
def list_rates(
    session: SessionDep,
    page: PageDep,
    region: Annotated[str, Query(max_length=32, description="地区，如 dongguan")] = "dongguan",
    insurance: Annotated[Insurance | None, Query(description="险种")] = None,
    on: Annotated[date | None, Query(description="只看该日有效的费率，YYYY-MM-DD")] = None,
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
        items=[_public(r) for r in rows[page.offset : page.offset + page.limit]], total=len(rows)
    )
