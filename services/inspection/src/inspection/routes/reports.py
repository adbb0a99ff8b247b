"""Inspection report summaries: a PDF for the unit's contacts, and a public check by the
verification code printed on it (no sign-in: the code is on the paper)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from inspection import reports
from inspection.access import ACCESS_LOG
from inspection.models import ReportCheck
from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.http_cache import LIVE_MAX_AGE, NOT_MODIFIED, public_cache
from servicekit.identity import CitizenDep

router = APIRouter(tags=["reports"])


@router.get(
    "/v1/me/applications/{number}/report.pdf",
    response_class=Response,
    summary="下载检验报告摘要（PDF）",
    dependencies=[ACCESS_LOG.logs("report")],
    responses={
        200: {"content": {"application/pdf": {}}, "description": "检验报告摘要 PDF"},
        404: {"description": "报检编号不存在，或不是该单位的联系人（两者相同）"},
        409: {"description": "尚未出具检验报告"},
    },
)
def report_pdf(
    number: Annotated[str, Path(min_length=1, max_length=32, description="报检编号")],
    citizen: CitizenDep,
    session: SessionDep,
) -> Response:
    """The one-page summary of the application's report, with its verification code."""
    text, pdf = reports.report_pdf(session, citizen_id=citizen.subject, number=number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="report-{text.number}.pdf"',
            "X-Report-Code": text.code,
        },
    )


@router.get(
    "/v1/reports/{code}",
    response_model=ReportCheck,
    summary="核验检验报告（公开）",
    dependencies=[public_cache(LIVE_MAX_AGE)],
    responses=NOT_MODIFIED,
)
def check_report(
    code: Annotated[
        str, Path(max_length=32, description="报告摘要上的验证码，如 ABCD-EFGH-JKMN-PQRS")
    ],
    session: SessionDep,
    now: NowDep,
) -> ReportCheck:
    """The report a verification code was printed on and whether it is still the equipment's
    latest inspection."""
    return reports.check(session, code=code, today=local_day(now))
