"""`/v1/rankings`: influence rankings of the city's active official accounts."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from accounts.rankings import CompositeWeights, Formula, Period, Ranking, rank
from accounts.settings import AccountsSettingsDep
from servicekit.clock import today
from servicekit.deps import SessionDep
from servicekit.http_cache import NOT_MODIFIED, public_cache

router = APIRouter(prefix="/v1/rankings", tags=["rankings"])
# Rankings move with the daily statistics import; five minutes bounds a stale one.
RANKING_MAX_AGE = 300


@router.get(
    "",
    summary="政务公众号影响力排行",
    description=(
        "统计期截止于 date（含）：day 当天，week 7 天，month 30 天，half-year 182 天。"
        "列出全部在用账号，按得分、阅读数、账号代码排序；rank_change 与上一个等长统计期相比，"
        "正数为上升，上一期无得分时为空。formula：wci-v2、wci-v13（默认）、wci-v14.2"
        "（清博 WCI 公式），composite 为综合指数（0-100 = 传播力、服务力、互动力加权，"
        "权重见 ACCOUNTS_COMPOSITE_*_WEIGHT）。"
    ),
    dependencies=[public_cache(RANKING_MAX_AGE)],
    responses=NOT_MODIFIED,
)
def get_ranking(
    settings: AccountsSettingsDep,
    session: SessionDep,
    period: Annotated[Period, Query(description="day | week | month | half-year")] = "week",
    on: Annotated[
        date | None, Query(alias="date", description="统计期最后一天，YYYY-MM-DD；默认今天")
    ] = None,
    formula: Annotated[
        Formula, Query(description="wci-v2 | wci-v13 | wci-v14.2 | composite")
    ] = "wci-v13",
) -> Ranking:
    """Every active account ranked over the period ending on `date`."""
    weights = CompositeWeights(
        reach=settings.composite_reach_weight,
        service=settings.composite_service_weight,
        interaction=settings.composite_interaction_weight,
    )
    return rank(session=session, period=period, on=on or today(), formula=formula, weights=weights)
