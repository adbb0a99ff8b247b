"""`/v1/indices/{location_code}`: a day's life indices (umbrella, outing, UV, dressing, comfort)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from servicekit.http_cache import NOT_MODIFIED
from weather.clock import today_local
from weather.documents import indices_document
from weather.models import IndicesPublic
from weather.routes.common import ReadDep

router = APIRouter(prefix="/v1/indices", tags=["indices"])
DayQuery = Annotated[date | None, Query(description="日期，YYYY-MM-DD，今天起 5 天之内；默认今天")]


@router.get(
    "/{location_code}",
    response_model=IndicesPublic,
    summary="生活指数",
    description="雨伞、郊游、紫外线、穿衣、舒适度指数。当天的指数受本地及全市生效中的预警信号约束"
    "（如暴雨信号使雨伞指数为 带伞(强)，台风或暴雨橙色、红色信号使郊游指数为 不适宜）；"
    "全市（dongguan）的指数只受全市信号约束。"
    "带 ETag 与 Cache-Control，条件请求内容未变时 304。",
    responses=NOT_MODIFIED,
)
def get_indices(location_code: str, read: ReadDep, date: DayQuery = None) -> Response:
    """The indices of `date` from today's forecast for the location."""
    indices = indices_document(
        session=read.session, location_code=location_code, day=date, today=today_local()
    )
    return read.answer(indices)
