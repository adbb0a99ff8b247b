"""Parameters shared by the weather routes: the `date` query, and a `{date}` path checked to be
within a year of today."""

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query

from weather.clock import today_local
from weather.serving import check_forecast_date

DateQuery = Annotated[date | None, Query(description="预报首日，YYYY-MM-DD；默认今天（北京时间）")]


def path_date(date: Annotated[date, Path(description="日期，YYYY-MM-DD")]) -> date:
    """The `{date}` of the path; 422 when it is more than a year from today."""
    check_forecast_date(forecast_date=date, today=today_local(), field="date", where="path")
    return date


PathDate = Annotated[date, Depends(path_date)]
