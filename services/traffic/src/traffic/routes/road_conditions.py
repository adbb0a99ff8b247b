"""`/v1/road-conditions`: segment speeds and statuses now, the city index, and the map PNG."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from servicekit.cjk import CJKFontNotFound
from servicekit.clock import NowDep
from servicekit.deps import PageDep
from servicekit.errors import Problem
from servicekit.http_cache import LIVE_MAX_AGE, NOT_MODIFIED, public_cache
from traffic.models import RoadConditionsPage
from traffic.roadmap import find_map_font, map_text, render_map
from traffic.roads import city_conditions, matching_segments
from traffic.views import road_conditions_page

router = APIRouter(prefix="/v1/road-conditions", tags=["road-conditions"])
FEED_NOTE = "路况由合成数据源按时间计算（每5分钟一个快照，早晚高峰、周末较轻），读取时即时生成。"


class FontUnavailable(Problem):
    status, title = 503, "Service Unavailable"


@router.get(
    "",
    response_model=RoadConditionsPage,
    summary="主要道路实时路况",
    description=FEED_NOTE,
    dependencies=[public_cache(LIVE_MAX_AGE)],
    responses=NOT_MODIFIED,
)
def get_road_conditions(
    now: NowDep,
    page: PageDep,
    road: Annotated[
        str | None, Query(max_length=20, description="道路名称或其中几个字，如 莞太路、广深")
    ] = None,
    status: Annotated[
        list[Annotated[int, Field(ge=0, le=4)]] | None,
        Query(description="只看这些状态（可重复）：3 拥堵、4 严重拥堵"),
    ] = None,
) -> RoadConditionsPage:
    """Every main-road segment at the current snapshot, filtered by road and status."""
    conditions = city_conditions(at=now)
    items = matching_segments(conditions, road=road, statuses=status)
    return road_conditions_page(conditions, items, page=page)


@router.get(
    "/map.png",
    summary="路况地图",
    description="示意图：绿色畅通、黄色缓行、红色拥堵、深红严重拥堵，标注道路名称。" + FEED_NOTE,
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "PNG 图片"},
        503: {"description": "服务器未安装中文字体"},
    },
)
def get_road_map(now: NowDep) -> Response:
    """The map of the current snapshot; cacheable until the next snapshot."""
    conditions = city_conditions(at=now)
    try:
        font = find_map_font(map_text(conditions))
    except CJKFontNotFound as exc:
        raise FontUnavailable(str(exc)) from None
    return Response(
        render_map(conditions, font=font),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=60"},
    )
