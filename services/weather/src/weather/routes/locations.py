"""`/v1/locations`: the towns and subdistricts forecasts are made for."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import select

from servicekit.deps import Page, PageDep, SessionDep, paginate
from weather.caching import REFERENCE_MAX_AGE, cached_json
from weather.models import Location, LocationPublic

router = APIRouter(prefix="/v1/locations", tags=["locations"])


@router.get(
    "",
    response_model=Page[LocationPublic],
    summary="预报地点列表",
    description="带 ETag 与 Cache-Control；条件请求内容未变时 304。",
)
def list_locations(
    request: Request,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[str | None, Query(description="subdistrict | town | zone")] = None,
) -> Response:
    """The 33 locations of Dongguan (4 subdistricts, 28 towns, 松山湖)."""
    query = select(Location)
    if kind:
        query = query.where(Location.kind == kind)
    page_ = paginate(session, query, page, order_by=Location.code, public=LocationPublic)
    return cached_json(request, page_, max_age=REFERENCE_MAX_AGE)
