"""`/v1/rates`: contribution rates as effective-dated data (public)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.deps import Page, PageDep, SessionDep
from servicekit.http_cache import NOT_MODIFIED, REFERENCE_MAX_AGE, public_cache
from socialsec import directory
from socialsec.models import ContributionRatePublic
from socialsec.rates import Insurance

router = APIRouter(prefix="/v1/rates", tags=["rates"])


@router.get(
    "",
    response_model=Page[ContributionRatePublic],
    summary="社保费率（按生效日期）",
    dependencies=[public_cache(REFERENCE_MAX_AGE)],
    responses=NOT_MODIFIED,
)
def list_rates(
    session: SessionDep,
    page: PageDep,
    region: Annotated[str, Query(max_length=32, description="地区，如 dongguan")] = "dongguan",
    insurance: Annotated[Insurance | None, Query(description="险种")] = None,
    on: Annotated[date | None, Query(description="只看该日有效的费率，YYYY-MM-DD")] = None,
) -> Page[ContributionRatePublic]:
    """Rate rows of a region, newest first; with `on`, only the row of each insurance in force."""
    return directory.rates(session, page, region=region, insurance=insurance, on=on)
