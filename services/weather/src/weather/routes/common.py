"""Pieces shared by the weather routes: the `date` query and the forecast a request is about."""

from datetime import date
from typing import Annotated

from fastapi import Query
from sqlmodel import Session

from weather.clock import today_local
from weather.serving import ServedForecast, check_forecast_date, resolve_division, served_forecast

DateQuery = Annotated[date | None, Query(description="预报首日，YYYY-MM-DD；默认今天（北京时间）")]


def served_for(
    *, session: Session, location_code: str, forecast_date: date | None
) -> ServedForecast:
    """The forecast served for a location and (default today) date; 404/422 in Chinese."""
    division = resolve_division(session=session, code=location_code)
    today = today_local()
    forecast_date = forecast_date or today
    check_forecast_date(forecast_date=forecast_date, today=today, field="date", where="query")
    return served_forecast(session=session, division=division, forecast_date=forecast_date)
