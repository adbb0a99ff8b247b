"""`/v1/guides` and `/v1/fees`: 办事指南 (searchable) and the fee schedule (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from inspection.guides import FEES, Fee, Guide, search_guides
from servicekit.deps import Page, PageDep
from servicekit.http_cache import NOT_MODIFIED, REFERENCE_MAX_AGE, public_cache

router = APIRouter(prefix="/v1", tags=["guides"])
REFERENCE = public_cache(REFERENCE_MAX_AGE)


@router.get(
    "/guides",
    response_model=Page[Guide],
    summary="办事指南（可按文字搜索）",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def list_guides(
    page: PageDep,
    q: Annotated[
        str | None, Query(max_length=50, description="搜索文字，多个词以空格分隔，如“电梯 维保”")
    ] = None,
) -> Page[Guide]:
    """Guides containing every word of `q`."""
    return search_guides(q=q, page=page)


@router.get(
    "/fees",
    response_model=list[Fee],
    summary="检验收费标准",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
async def list_fees() -> list[Fee]:
    """The fee schedule, in fen (async: no database)."""
    return list(FEES)
