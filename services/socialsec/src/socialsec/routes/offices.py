"""`/v1/offices`: the social-security branch office of each town and subdistrict."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session, select

from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.errors import NotFound
from socialsec.models import Office, OfficePublic

router = APIRouter(prefix="/v1/offices", tags=["offices"])


def _office(session: Session, town: str) -> Office:
    """The office of `town`, or a 404 problem telling the citizen which codes exist."""
    office = session.get(Office, town)
    if office is None:
        raise NotFound(
            f"未找到镇街“{town}”的社保分局，请使用 /v1/offices 中的镇街代码，如 dalang。"
        )
    return office


@router.get("", response_model=Page[OfficePublic], summary="社保分局列表")
def list_offices(
    session: SessionDep,
    page: PageDep,
    town: Annotated[str | None, Query(description="镇街拼音代码，如 dalang")] = None,
) -> Page[OfficePublic]:
    """The branch offices of the 33 divisions, or of one town; an unknown town is a 404."""
    query = select(Office)
    if town:
        # A town the city does not have is a mistake worth telling, not an empty list.
        _office(session, town)
        query = query.where(Office.town == town)
    return paginate(session, query, page, order_by=Office.town, public=OfficePublic)


@router.get("/{town}", response_model=OfficePublic, summary="镇街社保分局")
def get_office(town: str, session: SessionDep) -> OfficePublic:
    """The branch office of one town or subdistrict."""
    return OfficePublic.model_validate(_office(session, town), from_attributes=True)
