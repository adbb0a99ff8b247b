"""FastAPI dependency aliases shared by every service: a database session and list paging."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlmodel import Session, func, select
from sqlmodel.sql.expression import Select

MAX_LIMIT = 100
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def get_session(request: Request) -> Iterator[Session]:
    """One session on the app's engine per request."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class PageParams:
    """`?limit=&offset=`; limit is capped at 100."""

    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, description="每页条数，最多 100")] = 20,
    offset: Annotated[int, Query(ge=0, description="跳过的条数")] = 0,
) -> PageParams:
    """Read and cap the paging query parameters (async: pure, so no threadpool hop)."""
    return PageParams(limit=min(limit, MAX_LIMIT), offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """A page of a list: `{"items": [...], "total": N}`."""

    items: list[T]
    total: int


def paginate(
    session: Session, query: Select[Any], page: PageParams, *, order_by: Any, public: type[M]
) -> Page[M]:
    """Run `query` for one page, ordered by `order_by`, with the total of all matching rows."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(order_by).offset(page.offset).limit(page.limit)).all()
    return Page(items=[public.model_validate(r, from_attributes=True) for r in rows], total=total)
