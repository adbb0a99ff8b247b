"""`/v1/offices`: the social-security branch office of each town and subdistrict."""

from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.deps import Page, PageDep, SessionDep
from servicekit.http_cache import NOT_MODIFIED, REFERENCE_MAX_AGE, public_cache
from socialsec import directory
from socialsec.models import OfficePublic

router = APIRouter(prefix="/v1/offices", tags=["offices"])
REFERENCE = public_cache(REFERENCE_MAX_AGE)


@router.get(
    "",
    response_model=Page[OfficePublic],
    summary="社保分局列表",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def list_offices(
    session: SessionDep,
    page: PageDep,
    town: Annotated[str | None, Query(description="镇街拼音代码，如 dalang")] = None,
) -> Page[OfficePublic]:
    """The branch offices of the 33 divisions, or of one town; an unknown town is a 404."""
    return directory.offices(session, page, town=town)


@router.get(
    "/{town}",
    response_model=OfficePublic,
    summary="镇街社保分局",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def get_office(town: str, session: SessionDep) -> OfficePublic:
    """The branch office of one town or subdistrict."""
    return directory.office(session, town)
