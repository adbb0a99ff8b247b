"""`/v1/reports/operations`: per-account operations over a date range, as JSON, CSV or PNG."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from accounts.day_range import DayRange
from accounts.report_chart import DEFAULT_TOP, chart_text, find_chart_font, render_png
from accounts.reports import OperationsReport, operations_report, report_csv
from servicekit.cjk import CJKFontNotFound
from servicekit.deps import SessionDep
from servicekit.errors import Problem

router = APIRouter(prefix="/v1/reports", tags=["reports"])
# By default the half year the propaganda department reviews; at most ten years.
REPORT_RANGE = DayRange(default_days=182, max_days=3660, too_long="报表范围不能超过 10 年。")

From = Annotated[
    date | None, Query(alias="from", description="起始日期（含），YYYY-MM-DD；默认截止日前半年")
]
To = Annotated[date | None, Query(description="截止日期（含），YYYY-MM-DD；默认今天")]


class FontUnavailable(Problem):
    status, title = 503, "Service Unavailable"


@router.get("/operations", summary="公众号运营报表")
def get_operations(session: SessionDep, from_: From = None, to: To = None) -> OperationsReport:
    """Pushes, reads, likes, follower growth, push frequency and flags of every active account."""
    start, end = REPORT_RANGE.resolve(from_, to)
    return operations_report(session=session, start=start, end=end)


@router.get(
    "/operations.csv",
    summary="公众号运营报表（CSV）",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8（带 BOM）CSV"}},
)
def get_operations_csv(session: SessionDep, from_: From = None, to: To = None) -> Response:
    """The operations report as a CSV file that opens with correct Chinese in Excel."""
    start, end = REPORT_RANGE.resolve(from_, to)
    report = operations_report(session=session, start=start, end=end)
    return Response(
        report_csv(report).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="operations_{start}_{end}.csv"'},
    )


@router.get(
    "/operations.png",
    summary="公众号运营报表（阅读数前列柱状图）",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "PNG 图片"},
        503: {"description": "服务器未安装中文字体"},
    },
)
def get_operations_png(
    session: SessionDep,
    from_: From = None,
    to: To = None,
    top: Annotated[int, Query(ge=1, le=30, description="显示阅读数前几名")] = DEFAULT_TOP,
) -> Response:
    """A PNG bar chart of the most-read accounts, labelled in Chinese."""
    start, end = REPORT_RANGE.resolve(from_, to)
    text = chart_text(operations_report(session=session, start=start, end=end), top=top)
    try:
        font = find_chart_font(text)
    except CJKFontNotFound as exc:
        raise FontUnavailable(str(exc)) from None
    return Response(render_png(text, font=font), media_type="image/png")
