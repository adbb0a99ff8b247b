"""Forecast issuances: validate, store as the next version for the date, read back.

Forecasters issue through the API; the Open-Meteo importer issues as the system through the
same validation, so a forecaster's later version overrides an import like any other.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from servicekit.audit import Actor
from servicekit.clock import utcnow
from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import Conflict, NotFound, ValidationFailed
from weather.models import (
    DAY_MEASURES,
    AuditEntry,
    ForecastIssuance,
    IssuanceCreate,
    IssuanceDetail,
    IssuanceSummary,
    IssuedDay,
    IssuedDayIn,
    LocationForecast,
)
from weather.phenomena import cma_code_for_wmo
from weather.public import issuance_summary
from weather.reference import location_names, phenomenon_names
from weather.serving import FORECAST_DAYS, check_forecast_date, served_day

WIND_DIRECTIONS = (
    "北风",
    "东北风",
    "东风",
    "东南风",
    "南风",
    "西南风",
    "西风",
    "西北风",
    "无持续风向",
)
# Two forecasters issuing for one date at the same moment both get a version: the loser of
# the unique (date, version) race simply takes the next number.
VERSION_ATTEMPTS = 5


def _error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "in": "body", "message": message, "type": "value_error"}


def day_errors(day: IssuedDayIn, *, field: str) -> list[dict[str, Any]]:
    """The problems of one issued day; `field` is its path, e.g. `locations.0.days.2`."""
    errors = []
    if (day.day_code is None) == (day.wmo_code is None):
        errors.append(_error(f"{field}.day_code", "day_code 与 wmo_code 须给出且只给出一个"))
    for name in ("day_code", "night_code"):
        code = getattr(day, name)
        if code is not None and code not in phenomenon_names():
            errors.append(_error(f"{field}.{name}", f"未知的 CMA 天气现象代码“{code}”"))
    if day.wmo_code is not None and cma_code_for_wmo(day.wmo_code) is None:
        errors.append(_error(f"{field}.wmo_code", f"未知的 WMO 天气代码 {day.wmo_code}"))
    if day.temp_min_c > day.temp_max_c:
        errors.append(_error(f"{field}.temp_min_c", "最低气温不能高于最高气温"))
    if day.wind_direction not in WIND_DIRECTIONS:
        errors.append(_error(f"{field}.wind_direction", f"风向须为：{'、'.join(WIND_DIRECTIONS)}"))
    return errors


def issuance_errors(body: IssuanceCreate) -> list[dict[str, Any]]:
    """Every problem of an issuance, each naming its field (empty when it may be issued)."""
    errors = []
    if not body.locations:
        errors.append(_error("locations", "至少要有一个地点"))
    if body.forecast_date > date.max - timedelta(days=FORECAST_DAYS):
        return [_error("forecast_date", "预报日期无效")]
    expected = [body.forecast_date + timedelta(n) for n in range(FORECAST_DAYS)]
    seen: set[str] = set()
    for i, loc in enumerate(body.locations):
        field = f"locations.{i}"
        if loc.location not in location_names():
            errors.append(
                _error(f"{field}.location", f"未知的地点“{loc.location}”（33 个镇街或 dongguan）")
            )
        elif loc.location in seen:
            errors.append(_error(f"{field}.location", f"地点“{loc.location}”重复"))
        seen.add(loc.location)
        if [d.date for d in loc.days] != expected:
            errors.append(
                _error(
                    f"{field}.days",
                    f"须恰好为 {expected[0]} 至 {expected[-1]} 这 {FORECAST_DAYS} 天，按日期排列"
                    f"（收到 {len(loc.days)} 天）",
                )
            )
        for j, day in enumerate(loc.days):
            errors += day_errors(day, field=f"{field}.days.{j}")
    return errors


def validate_issuance(body: IssuanceCreate) -> None:
    """422 naming every field at fault, unless the issuance may be issued."""
    errors = issuance_errors(body)
    if errors:
        names = "、".join(dict.fromkeys(e["field"] for e in errors))
        raise ValidationFailed(f"预报发布内容有误：{names}", errors=errors)


def _day_code(day: IssuedDayIn) -> str:
    """The day's CMA code as given, or mapped from its WMO code (validated beforehand)."""
    if day.day_code is not None:
        return day.day_code
    code = cma_code_for_wmo(day.wmo_code) if day.wmo_code is not None else None
    assert code is not None, "validate_issuance lets no day without a known code through"
    return code


def _row(issuance_id: int, location: str, day: IssuedDayIn) -> IssuedDay:
    day_code = _day_code(day)
    return IssuedDay(
        issuance_id=issuance_id,
        location_code=location,
        day=day.date,
        day_code=day_code,
        night_code=day.night_code or day_code,
        **day.model_dump(include=DAY_MEASURES | {"wmo_code"}),
    )


def create_issuance(
    *, session: Session, body: IssuanceCreate, source: str, actor: Actor
) -> ForecastIssuance:
    """Validate and store `body` as the next version for its date (422 naming the fields)."""
    validate_issuance(body)
    for _ in range(VERSION_ATTEMPTS):
        latest = session.exec(
            select(func.max(ForecastIssuance.version)).where(
                ForecastIssuance.forecast_date == body.forecast_date
            )
        ).one()
        issuance = ForecastIssuance(
            forecast_date=body.forecast_date,
            version=(latest or 0) + 1,
            issued_at=utcnow(),
            source=source,
            issued_by=actor.subject,
            note=body.note,
        )
        session.add(issuance)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        break
    else:
        raise Conflict("同一日期的预报正在被同时发布，请稍后重试。")
    assert issuance.id is not None
    session.add_all(
        _row(issuance.id, loc.location, day) for loc in body.locations for day in loc.days
    )
    AuditEntry.record(
        session=session,
        actor=actor,
        action="issue",
        entity="issuance",
        entity_id=str(issuance.id),
        changes={
            "forecast_date": [None, body.forecast_date.isoformat()],
            "version": [None, issuance.version],
            "source": [None, source],
            "locations": [None, [loc.location for loc in body.locations]],
        },
    )
    session.commit()
    session.refresh(issuance)
    return issuance


def _locations(session: Session, issuance_ids: list[int]) -> dict[int, list[str]]:
    rows = session.exec(
        select(IssuedDay.issuance_id, IssuedDay.location_code)
        .where(col(IssuedDay.issuance_id).in_(issuance_ids))
        .distinct()
    ).all()
    covered: dict[int, list[str]] = {i: [] for i in issuance_ids}
    for issuance_id, code in rows:
        covered[issuance_id].append(code)
    order = list(location_names())
    return {i: sorted(codes, key=order.index) for i, codes in covered.items()}


def summaries(session: Session, issuances: list[ForecastIssuance]) -> list[IssuanceSummary]:
    """Issuances with the locations each covers."""
    covered = _locations(session, [i.id for i in issuances if i.id is not None])
    return [issuance_summary(i, covered[i.id]) for i in issuances if i.id is not None]


def issuance_page(
    *, session: Session, page: PageParams, forecast_date: date | None
) -> Page[IssuanceSummary]:
    """One page of the issuances, newest first, optionally of one forecast date."""
    query = select(ForecastIssuance)
    if forecast_date is not None:
        query = query.where(ForecastIssuance.forecast_date == forecast_date)
    return paginate(
        session,
        query,
        page,
        order_by=col(ForecastIssuance.id).desc(),
        public=lambda rows: summaries(session, rows),
    )


def issue_forecast(
    *, session: Session, body: IssuanceCreate, actor: Actor, today: date
) -> IssuanceDetail:
    """A forecaster's issuance, stored as the next version for its date, as it is served."""
    check_forecast_date(
        forecast_date=body.forecast_date, today=today, field="forecast_date", where="body"
    )
    issuance = create_issuance(session=session, body=body, source="forecaster", actor=actor)
    assert issuance.id is not None
    return issuance_detail(session=session, issuance_id=issuance.id)


def issuance_detail(*, session: Session, issuance_id: int) -> IssuanceDetail:
    """One issuance with every location's days as served; 404 when there is none."""
    issuance = session.get(ForecastIssuance, issuance_id)
    if issuance is None:
        raise NotFound(f"未找到编号为 {issuance_id} 的预报发布。")
    (summary,) = summaries(session, [issuance])
    rows = session.exec(
        select(IssuedDay)
        .where(IssuedDay.issuance_id == issuance_id)
        .order_by(col(IssuedDay.location_code), col(IssuedDay.day))
    ).all()
    names = location_names()
    forecasts = [
        LocationForecast(
            location=code,
            location_name=names[code],
            days=[served_day(r) for r in rows if r.location_code == code],
        )
        for code in summary.locations
    ]
    return IssuanceDetail(**summary.model_dump(), forecasts=forecasts)
