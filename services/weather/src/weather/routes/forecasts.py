"""`/v1/forecasts/{location_code}`: the 5-day forecast of a location or of the whole city."""

from fastapi import APIRouter
from fastapi.responses import Response

from servicekit.http_cache import NOT_MODIFIED
from weather.caching import cached_response
from weather.charts import ChartsDep
from weather.clock import today_local
from weather.documents import forecast_chart, forecast_document
from weather.models import ForecastPublic
from weather.routes.common import DateQuery, ReadDep

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])
CACHING_NOTE = "带 ETag 与 Cache-Control；以 If-None-Match 条件请求、内容未变时返回 304。"


@router.get(
    "/{location_code}",
    response_model=ForecastPublic,
    summary="5 天天气预报",
    description="该日期最新一版发布的预报（无发布时为气候模型生成的预报），"
    "生效中的预警信号排在最前。`dongguan` 为全市。" + CACHING_NOTE,
    responses=NOT_MODIFIED,
)
def get_forecast(location_code: str, read: ReadDep, date: DateQuery = None) -> Response:
    """The forecast of a location: today and the next four days unless `date` says otherwise."""
    forecast = forecast_document(
        session=read.session, location_code=location_code, forecast_date=date, today=today_local()
    )
    return read.answer(forecast)


@router.get(
    "/{location_code}/chart.png",
    summary="5 天天气预报图",
    description="手机尺寸（1080×1350）的 PNG：最高/最低气温折线、降水概率柱、每天的天气现象，"
    "中文用服务器上确有其字形的字体绘制；按发布缓存。" + CACHING_NOTE,
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "PNG 图片"},
        **NOT_MODIFIED,
        503: {"description": "服务器未安装中文字体"},
    },
)
def get_forecast_chart(
    location_code: str, read: ReadDep, charts: ChartsDep, date: DateQuery = None
) -> Response:
    """The 5-day chart of a location, rendered once per issuance."""
    png = forecast_chart(
        session=read.session,
        location_code=location_code,
        forecast_date=date,
        today=today_local(),
        charts=charts,
    )
    return cached_response(read.request, png, media_type="image/png", max_age=300)
