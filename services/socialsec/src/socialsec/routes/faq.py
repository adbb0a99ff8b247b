"""`/v1/faq`: policy questions and answers, searchable by text (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, or_, select

from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.search import contains
from socialsec.models import Faq, FaqPublic

router = APIRouter(prefix="/v1/faq", tags=["faq"])


@router.get("", response_model=Page[FaqPublic], summary="政策问答（可按文字搜索）")
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
    query = select(Faq)
    for word in (q or "").split():
        query = query.where(or_(contains(col(Faq.question), word), contains(col(Faq.answer), word)))
    if category:
        query = query.where(Faq.category == category)
    return paginate(session, query, page, order_by=Faq.code, public=FaqPublic)
