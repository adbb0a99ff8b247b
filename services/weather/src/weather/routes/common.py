"""Parameters shared by the weather routes: the `date` query, a `{date}` path checked to be
within a year of today, and the reading side of every cached public GET."""

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from servicekit.deps import SessionDep
from weather.caching import FORECAST_MAX_AGE, cached_json
from weather.clock import today_local
from weather.serving import check_forecast_date

DateQuery = Annotated[date | None, Query(description="预报首日，YYYY-MM-DD；默认今天（北京时间）")]


def path_date(date: Annotated[date, Path(description="日期，YYYY-MM-DD")]) -> date:
    """The `{date}` of the path; 422 when it is more than a year from today."""
    check_forecast_date(forecast_date=date, today=today_local(), field="date", where="path")
    return date


PathDate = Annotated[date, Depends(path_date)]


class CachedRead:
    """A public GET: the session it reads with, and its answer with ETag and Cache-Control."""

    def __init__(self, request: Request, session: SessionDep) -> None:
        self.request = request
        self.session = session

    def answer(self, model: BaseModel, *, max_age: int = FORECAST_MAX_AGE) -> Response:
        """`model` as cached JSON, or a 304 when the client has it already."""
        return cached_json(self.request, model, max_age=max_age)


ReadDep = Annotated[CachedRead, Depends()]
