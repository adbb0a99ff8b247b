"""FastAPI dependency aliases shared by every service: the app's settings, a database session,
list paging and integer parameters bounded to what the database holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import anyio
from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session, func, select
from sqlmodel.sql.expression import Select
from starlette.applications import Starlette

from servicekit.settings import ServiceSettings
from servicekit.state import database_of, engine_of, service_state

MAX_LIMIT = 100
# Every table's id is an INTEGER, 32-bit on PostgreSQL, so no id, row count or offset exceeds it;
# a larger number would overflow the driver's parameter (a 500) instead of answering 422.
MAX_ID = 2**31 - 1
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
S = TypeVar("S", bound=ServiceSettings)


def app_settings(app: Starlette, kind: type[S]) -> S:
    """The settings `create_service_app` stored on `app`, checked to be a `kind`."""
    settings = service_state(app).settings
    if not isinstance(settings, kind):
        raise TypeError(f"the app's settings are a {type(settings).__name__}, not {kind.__name__}")
    return settings


def settings_dependency(kind: type[S]) -> Callable[[Request], S]:
    """A FastAPI dependency answering the app's settings as a `kind` (a service's own class)."""

    def dependency(request: Request) -> S:
        return app_settings(request.app, kind)

    return dependency


SettingsDep = Annotated[ServiceSettings, Depends(settings_dependency(ServiceSettings))]


async def database_place(request: Request) -> AsyncIterator[None]:
    """Wait, off the threadpool, for one of the app's database places (503 when none frees)."""
    async with database_of(request.app).gate.admit():
        yield


async def get_session(
    request: Request, _place: Annotated[None, Depends(database_place)]
) -> AsyncIterator[Session]:
    """One session on the app's engine per request, opened only once the request is admitted
    and closed (its connection returned) before the place is given up.

    Async: making a session connects nothing, so only closing one that holds a connection
    (returning it is a round trip on PostgreSQL) takes a threadpool hop, not both ends."""
    session = Session(engine_of(request.app))
    try:
        yield session
    finally:
        if session.in_transaction():
            # Shielded: a request cancelled (its client gone) still returns its connection.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class PageParams:
    """`?limit=&offset=`; limit is capped at 100."""

    limit: int
    offset: int


Id = Annotated[int, Path(ge=1, le=MAX_ID, description="编号")]
Limit = Annotated[int, Query(ge=1, le=MAX_ID, description="每页条数，最多 100")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="跳过的条数")]


async def page_params(limit: Limit = 20, offset: Offset = 0) -> PageParams:
    """Read and cap the paging query parameters (async: pure, so no threadpool hop)."""
    return PageParams(limit=min(limit, MAX_LIMIT), offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """A page of a list: `{"items": [...], "total": N}`."""

    items: list[T]
    total: int


def paginate(
    session: Session,
    query: Select[Any],
    page: PageParams,
    *,
    order_by: Any,
    public: type[M] | Callable[[list[Any]], list[M]],
) -> Page[M]:
    """Run `query` for one page, ordered by `order_by` (a column, or a tuple of them), with the
    total of all matching rows.

    `public` is the public model of a row, or a function mapping the page's rows at once (rows
    of a join, or rows whose public form needs one more query for the whole page)."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    keys = order_by if isinstance(order_by, tuple) else (order_by,)
    rows = list(session.exec(query.order_by(*keys).offset(page.offset).limit(page.limit)).all())
    if isinstance(public, type):
        return Page(
            items=[public.model_validate(r, from_attributes=True) for r in rows], total=total
        )
    return Page(items=public(rows), total=total)
