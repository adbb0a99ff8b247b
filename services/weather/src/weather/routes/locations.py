"""`/v1/locations`: the towns and subdistricts forecasts are made for."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from servicekit.deps import Page, PageDep, SessionDep, paginate
from weather.models import Location, LocationPublic

router = APIRouter(prefix="/v1/locations", tags=["locations"])


@router.get("", response_model=Page[LocationPublic], summary="预报地点列表")
def list_locations(
    session: SessionDep,
    page: PageDep,
    kind: Annotated[str | None, Query(description="subdistrict | town | zone")] = None,
) -> Page[LocationPublic]:
    """The 33 locations of Dongguan (4 subdistricts, 28 towns, 松山湖)."""
    query = select(Location)
    if kind:
        query = query.where(Location.kind == kind)
    return paginate(session, query, page, order_by=Location.code, public=LocationPublic)
