"""Which forecast a location gets for a date: the latest issuance covering it, else synthetic.

Issuances are versioned per forecast date; an override may cover a single location, so the
latest is chosen per location: the highest version for the date that includes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from servicekit.clock import SHANGHAI, local
from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import NotFound, ValidationFailed
from weather.daily import daily_forecast
from weather.models import (
    DAY_MEASURES,
    DailyForecast,
    ForecastIssuance,
    IssuedDay,
    Location,
    LocationPublic,
    Source,
)
from weather.reference import CITY, Division
from weather.synthetic import synthetic_forecast

FORECAST_DAYS = 5
# Forecast dates further than this from today are mistakes (and would overflow near date.max).
MAX_DATE_DISTANCE = timedelta(days=366)


@dataclass(frozen=True)
class ServedForecast:
    """The forecast a location gets for a date, and where it came from."""

    division: Division
    forecast_date: date
    source: Source
    issuance_id: int | None
    issuance_version: int | None
    issued_at: datetime
    days: list[DailyForecast]

    @property
    def cache_key(self) -> tuple[str, date, int | None]:
        """Identifies the content: the same key always means the same days."""
        return (self.division.code, self.forecast_date, self.issuance_id)


def public_source(stored: str) -> Source:
    """The `source` of a stored issuance as the API names it."""
    return "open-meteo" if stored == "open-meteo" else "forecaster"


def check_forecast_date(*, forecast_date: date, today: date, field: str, where: str) -> None:
    """422 naming `field` when the date is more than a year from today."""
    if abs(forecast_date - today) > MAX_DATE_DISTANCE:
        detail = "预报日期须在今天前后一年之内。"
        raise ValidationFailed(
            detail, errors=[{"field": field, "in": where, "message": detail, "type": "value_error"}]
        )


def served_day(row: IssuedDay) -> DailyForecast:
    """An issued day as it is served."""
    return daily_forecast(
        day=row.day,
        day_code=row.day_code,
        night_code=row.night_code,
        **row.model_dump(include=DAY_MEASURES),
    )


def resolve_division(*, session: Session, code: str) -> Division:
    """A location by code, or the city for `dongguan`; 404 in Chinese otherwise."""
    if code == CITY.code:
        return CITY
    row = session.get(Location, code)
    if row is None:
        raise NotFound(f"未找到地点“{code}”，请使用 /v1/locations 中的代码，或 dongguan 表示全市。")
    return Division(row.code, row.name, row.kind, row.lat, row.lon, row.confidence)


def latest_issuance(
    *, session: Session, location_code: str, forecast_date: date
) -> ForecastIssuance | None:
    """The highest version for the date that covers the location."""
    return session.exec(
        select(ForecastIssuance)
        .join(IssuedDay, col(IssuedDay.issuance_id) == col(ForecastIssuance.id))
        .where(
            ForecastIssuance.forecast_date == forecast_date,
            IssuedDay.location_code == location_code,
        )
        .order_by(col(ForecastIssuance.version).desc())
        .limit(1)
    ).first()


def issued_days(*, session: Session, issuance_id: int, location_code: str) -> list[IssuedDay]:
    """The days of one location in one issuance, in date order."""
    return list(
        session.exec(
            select(IssuedDay)
            .where(IssuedDay.issuance_id == issuance_id, IssuedDay.location_code == location_code)
            .order_by(col(IssuedDay.day))
        ).all()
    )


def served_forecast(*, session: Session, division: Division, forecast_date: date) -> ServedForecast:
    """The latest issuance for the date covering the location, else the synthetic forecast."""
    issuance = latest_issuance(
        session=session, location_code=division.code, forecast_date=forecast_date
    )
    if issuance is None or issuance.id is None:
        return ServedForecast(
            division=division,
            forecast_date=forecast_date,
            source="synthetic",
            issuance_id=None,
            issuance_version=None,
            # A function of the date alone: a stable time keeps the answer (and its ETag) stable.
            issued_at=datetime.combine(forecast_date, time(), SHANGHAI),
            days=synthetic_forecast(division=division, start=forecast_date, days=FORECAST_DAYS),
        )
    rows = issued_days(session=session, issuance_id=issuance.id, location_code=division.code)
    return ServedForecast(
        division=division,
        forecast_date=forecast_date,
        source=public_source(issuance.source),
        issuance_id=issuance.id,
        issuance_version=issuance.version,
        issued_at=local(issuance.issued_at),
        days=[served_day(r) for r in rows],
    )


def served_for(
    *, session: Session, location_code: str, forecast_date: date | None, today: date
) -> ServedForecast:
    """The forecast served for a location and (default today) date; 404/422 in Chinese."""
    division = resolve_division(session=session, code=location_code)
    forecast_date = forecast_date or today
    check_forecast_date(forecast_date=forecast_date, today=today, field="date", where="query")
    return served_forecast(session=session, division=division, forecast_date=forecast_date)


def location_page(*, session: Session, page: PageParams, kind: str | None) -> Page[LocationPublic]:
    """One page of the 33 locations, optionally of one kind, by code."""
    query = select(Location)
    if kind:
        query = query.where(Location.kind == kind)
    return paginate(session, query, page, order_by=Location.code, public=LocationPublic)
