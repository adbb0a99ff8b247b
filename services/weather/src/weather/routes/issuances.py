"""`/v1/issuances`: forecasts issued by forecasters (and imported by the system), every version."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from servicekit.deps import Id, Page, PageDep, SessionDep
from weather.caching import ETAG_NOTE
from weather.clock import today_local
from weather.issuances import issuance_detail, issuance_page, issue_forecast
from weather.models import IssuanceCreate, IssuanceDetail, IssuanceSummary
from weather.routes.common import ReadDep
from weather.staff import STAFF_NOTE, ForecasterDep

router = APIRouter(prefix="/v1/issuances", tags=["issuances"])
ForecastDateQuery = Annotated[date | None, Query(description="只列此预报日期的发布")]


@router.post(
    "",
    response_model=IssuanceDetail,
    status_code=201,
    summary="发布预报",
    description="发布某日起 5 天的预报，覆盖一个或多个地点（33 个镇街，dongguan 为全市）。"
    "成为该日期的新一版，覆盖各地点此前的版本（包括系统导入的）；旧版本仍可查询。"
    "每天给出 CMA 天气现象代码（day_code/night_code）或 WMO 代码（wmo_code）。"
    "天数不符、最低气温高于最高气温、概率超出 0-100、未知代码或地点时 422，并指明字段。"
    + STAFF_NOTE,
)
def post_issuance(
    body: IssuanceCreate, session: SessionDep, actor: ForecasterDep
) -> IssuanceDetail:
    """Issue a forecast as the next version for its date."""
    return issue_forecast(session=session, body=body, actor=actor, today=today_local())


@router.get(
    "",
    response_model=Page[IssuanceSummary],
    summary="预报发布列表",
    description="各次发布（含旧版本），最新的在前。" + ETAG_NOTE,
)
def list_issuances(
    read: ReadDep, page: PageDep, forecast_date: ForecastDateQuery = None
) -> Response:
    """Issuances, newest first, optionally of one forecast date."""
    return read.answer(issuance_page(session=read.session, page=page, forecast_date=forecast_date))


@router.get(
    "/{issuance_id}",
    response_model=IssuanceDetail,
    summary="预报发布详情",
    description="一次发布的全部地点和日期（天气现象按降水量校正后的样子）。" + ETAG_NOTE,
)
def get_issuance(issuance_id: Id, read: ReadDep) -> Response:
    """One issuance, any version."""
    return read.answer(issuance_detail(session=read.session, issuance_id=issuance_id))
