"""What a location's public documents say: its forecast, its chart and its life indices, each
led by the warning signals in force there. The API and the chat answers both read them here."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from servicekit.cjk import CJKFontNotFound
from servicekit.errors import Problem, ValidationFailed
from weather.charts import ChartCache, chart_png
from weather.indices import day_indices
from weather.models import ForecastPublic, IndicesPublic
from weather.public import forecast_public, indices_public, warning_public
from weather.reference import CITY
from weather.serving import FORECAST_DAYS, served_for
from weather.signals import active_signals, as_active


class FontUnavailable(Problem):
    """No font on the server draws every character of the chart."""

    status, title = 503, "Service Unavailable"


def forecast_document(
    *, session: Session, location_code: str, forecast_date: date | None, today: date
) -> ForecastPublic:
    """The forecast of a location from `forecast_date` (default today), signals in force first."""
    served = served_for(
        session=session, location_code=location_code, forecast_date=forecast_date, today=today
    )
    warnings = [warning_public(s) for s in active_signals(session=session, area=location_code)]
    return forecast_public(served, warnings)


def forecast_chart(
    *,
    session: Session,
    location_code: str,
    forecast_date: date | None,
    today: date,
    charts: ChartCache,
) -> bytes:
    """The 5-day chart (PNG) of a location; 503 when the server has no font for its text."""
    served = served_for(
        session=session, location_code=location_code, forecast_date=forecast_date, today=today
    )
    try:
        return chart_png(served, charts)
    except CJKFontNotFound as exc:
        raise FontUnavailable(str(exc)) from None


def indices_document(
    *, session: Session, location_code: str, day: date | None, today: date
) -> IndicesPublic:
    """The indices of `day` (default today, within the 5 days) from today's forecast."""
    day = day or today
    if not today <= day < today + timedelta(days=FORECAST_DAYS):
        detail = f"date 须在 {today} 至 {today + timedelta(days=FORECAST_DAYS - 1)} 之间。"
        raise ValidationFailed(
            detail,
            errors=[{"field": "date", "in": "query", "message": detail, "type": "value_error"}],
        )
    served = served_for(
        session=session, location_code=location_code, forecast_date=today, today=today
    )
    signals = active_signals(session=session, area=location_code)
    forecast_day = next(d for d in served.days if d.date == day)
    # Signals are in force now: they govern today's indices, not those of later days. A town's
    # signal is listed in the city's answer but does not set the indices of the whole city.
    governing = [s for s in signals if s.area in (CITY.code, location_code)] if day == today else []
    readings = day_indices(day=forecast_day, signals=as_active(governing))
    return indices_public(served, day, [warning_public(s) for s in signals], readings)
