"""`/v1/road-conditions`: segment speeds and statuses now, the city index, and the map PNG."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from servicekit.cjk import CJKFontNotFound
from servicekit.clock import NowDep
from servicekit.deps import PageDep
from servicekit.errors import NotFound, Problem
from traffic.models import RoadConditionsPage, RoadSegmentPublic
from traffic.roadmap import STATUS_COLOUR, find_map_font, map_text, render_map
from traffic.roads import (
    ROAD_CLASS_TEXT,
    ROADS,
    STATUS_TEXT,
    SegmentCondition,
    city_conditions,
    index_level,
    road_summary,
)

router = APIRouter(prefix="/v1/road-conditions", tags=["road-conditions"])
FEED_NOTE = "路况由合成数据源按时间计算（每5分钟一个快照，早晚高峰、周末较轻），读取时即时生成。"


class FontUnavailable(Problem):
    status, title = 503, "Service Unavailable"


def segment_public(condition: SegmentCondition) -> RoadSegmentPublic:
    """A segment's condition as the API shows it."""
    segment = condition.segment
    return RoadSegmentPublic(
        code=segment.code,
        road=segment.road,
        section=segment.section,
        road_class=segment.road_class,
        road_class_text=ROAD_CLASS_TEXT[segment.road_class],
        length_km=segment.length_km,
        speed_kmh=condition.speed_kmh,
        status=condition.status,
        status_text=STATUS_TEXT[condition.status],
        colour=STATUS_COLOUR[condition.status],
    )


@router.get(
    "", response_model=RoadConditionsPage, summary="主要道路实时路况", description=FEED_NOTE
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
    items = list(conditions.segments)
    if road:
        wanted = road.strip()
        items = [c for c in items if wanted in c.segment.road]
        if not items:
            raise NotFound(f"未找到道路“{wanted}”。可查询的道路：{'、'.join(ROADS)}。")
    if status:
        items = [c for c in items if c.status in status]
    congested, clear = road_summary(conditions=conditions.segments)
    return RoadConditionsPage(
        snapshot_at=conditions.snapshot_at,
        index=conditions.index,
        index_level=index_level(index=conditions.index),
        congested_roads=congested,
        clear_roads=clear,
        items=[segment_public(c) for c in items[page.offset : page.offset + page.limit]],
        total=len(items),
    )


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
