"""`/v1/guides`: business guides (办事指南) with materials, fees, offices and hours."""

from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.http_cache import NOT_MODIFIED, REFERENCE_MAX_AGE, public_cache
from traffic.guides import guide_by_id, guide_query
from traffic.models import Guide, GuidePublic, GuideSummary

router = APIRouter(prefix="/v1/guides", tags=["guides"])
REFERENCE = public_cache(REFERENCE_MAX_AGE)
GuideWords = Annotated[
    str | None, Query(max_length=50, description="关键词，多个词用空格分隔，如 换证、年检")
]


@router.get(
    "",
    response_model=Page[GuideSummary],
    summary="办事指南列表与搜索",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def list_guides(session: SessionDep, page: PageDep, q: GuideWords = None) -> Page[GuideSummary]:
    """Guides whose title, summary or keywords contain every word of `q`."""
    return paginate(session, guide_query(q=q), page, order_by=Guide.id, public=GuideSummary)


@router.get(
    "/{guide_id}",
    response_model=GuidePublic,
    summary="办事指南详情",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def get_guide(guide_id: str, session: SessionDep) -> GuidePublic:
    """One guide: conditions, materials, fees (fen), offices, hours, time limit, online channel."""
    return GuidePublic.model_validate(guide_by_id(session, guide_id=guide_id), from_attributes=True)
