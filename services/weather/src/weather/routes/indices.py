"""`/v1/indices/{location_code}`: a day's life indices (umbrella, outing, UV, dressing, comfort)."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from servicekit.deps import SessionDep
from servicekit.errors import ValidationFailed
from weather.caching import cached_json
from weather.clock import today_local
from weather.indices import day_indices
from weather.models import LocationPublic, Source, WarningPublic
from weather.reference import CITY
from weather.routes.common import served_for
from weather.serving import FORECAST_DAYS, location_public
from weather.signals import active_signals, as_active, warning_public

router = APIRouter(prefix="/v1/indices", tags=["indices"])


class IndexPublic(BaseModel):
    """One life index."""

    code: str = Field(description="umbrella | outing | uv | dressing | comfort")
    name: str = Field(description="如 雨伞指数")
    level: str = Field(description="等级，如 带伞")
    text: str = Field(description="建议，如 有降水，带雨伞。")
    override: str | None = Field(description="决定此等级的生效预警信号；由天气决定时为空")


class IndicesPublic(BaseModel):
    """The life indices of one location on one day."""

    warnings: list[WarningPublic] = Field(description="当前生效的预警信号，排在最前")
    location: LocationPublic
    date: date
    source: Source = Field(description="所依据预报的来源")
    issuance_id: int | None
    issuance_version: int | None
    indices: list[IndexPublic]


@router.get(
    "/{location_code}",
    response_model=IndicesPublic,
    summary="生活指数",
    description="雨伞、郊游、紫外线、穿衣、舒适度指数。当天的指数受本地及全市生效中的预警信号约束"
    "（如暴雨信号使雨伞指数为 带伞(强)，台风或暴雨橙色、红色信号使郊游指数为 不适宜）；"
    "全市（dongguan）的指数只受全市信号约束。"
    "带 ETag 与 Cache-Control，条件请求内容未变时 304。",
    responses={304: {"description": "内容未变"}},
)
def get_indices(
    location_code: str,
    request: Request,
    session: SessionDep,
    date: Annotated[
        date | None, Query(description="日期，YYYY-MM-DD，今天起 5 天之内；默认今天")
    ] = None,
) -> Response:
    """The indices of `date` from today's forecast for the location."""
    today = today_local()
    day = date or today
    if not today <= day < today + timedelta(days=FORECAST_DAYS):
        detail = f"date 须在 {today} 至 {today + timedelta(days=FORECAST_DAYS - 1)} 之间。"
        raise ValidationFailed(
            detail,
            errors=[{"field": "date", "in": "query", "message": detail, "type": "value_error"}],
        )
    served = served_for(session=session, location_code=location_code, forecast_date=today)
    signals = active_signals(session=session, area=location_code)
    forecast_day = next(d for d in served.days if d.date == day)
    # Signals are in force now: they govern today's indices, not those of later days. A town's
    # signal is listed in the city's answer but does not set the indices of the whole city.
    governing = [s for s in signals if s.area in (CITY.code, location_code)] if day == today else []
    readings = day_indices(day=forecast_day, signals=as_active(governing))
    return cached_json(
        request,
        IndicesPublic(
            warnings=[warning_public(s) for s in signals],
            location=location_public(served.division),
            date=day,
            source=served.source,
            issuance_id=served.issuance_id,
            issuance_version=served.issuance_version,
            indices=[IndexPublic(**vars(r)) for r in readings],
        ),
    )
