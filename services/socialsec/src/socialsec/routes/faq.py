"""`/v1/faq`: policy questions and answers, searchable by text (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.deps import Page, PageDep, SessionDep
from servicekit.http_cache import NOT_MODIFIED, REFERENCE_MAX_AGE, public_cache
from socialsec import directory
from socialsec.models import FaqPublic

router = APIRouter(prefix="/v1/faq", tags=["faq"])


@router.get(
    "",
    response_model=Page[FaqPublic],
    summary="政策问答（可按文字搜索）",
    dependencies=[public_cache(REFERENCE_MAX_AGE)],
    responses=NOT_MODIFIED,
)
def list_faq(
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(
            max_length=50, description="搜索文字；多个词以空格分隔，须全部出现，如“社保卡 公积金”"
        ),
    ] = None,
    category: Annotated[str | None, Query(max_length=16, description="分类，如 社保卡")] = None,
) -> Page[FaqPublic]:
    """Questions whose question or answer contains every word of `q` (`%` and `_` literally)."""
    return directory.faq(session, page, q=q, category=category)
