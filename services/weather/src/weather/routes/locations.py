"""`/v1/locations`: the towns and subdistricts forecasts are made for."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from servicekit.deps import Page, PageDep, SessionDep
from weather.caching import REFERENCE_MAX_AGE, cached_json
from weather.models import LocationPublic
from weather.serving import location_page

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
    locations = location_page(session=session, page=page, kind=kind)
    return cached_json(request, locations, max_age=REFERENCE_MAX_AGE)
