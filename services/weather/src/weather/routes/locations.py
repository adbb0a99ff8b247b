"""`/v1/locations`: the towns and subdistricts forecasts are made for."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from servicekit.deps import Page, PageDep
from servicekit.http_cache import REFERENCE_MAX_AGE
from weather.models import LocationPublic
from weather.routes.common import ReadDep
from weather.serving import location_page

router = APIRouter(prefix="/v1/locations", tags=["locations"])
KindQuery = Annotated[str | None, Query(description="subdistrict | town | zone")]


@router.get(
    "",
    response_model=Page[LocationPublic],
    summary="预报地点列表",
    description="带 ETag 与 Cache-Control；条件请求内容未变时 304。",
)
def list_locations(read: ReadDep, page: PageDep, kind: KindQuery = None) -> Response:
    """The 33 locations of Dongguan (4 subdistricts, 28 towns, 松山湖)."""
    locations = location_page(session=read.session, page=page, kind=kind)
    return read.answer(locations, max_age=REFERENCE_MAX_AGE)
