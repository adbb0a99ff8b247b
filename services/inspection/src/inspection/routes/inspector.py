"""`/v1/applications`: inspectors list applications and move them forward, one step at a time."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from inspection import applications
from inspection.models import ApplicationPublic, ApplicationState, Transition
from inspection.staff import STAFF_NOTE, InspectorDep, inspector
from servicekit.clock import NowDep
from servicekit.deps import Page, PageDep, SessionDep

router = APIRouter(prefix="/v1/applications", tags=["inspector"])
Number = Annotated[str, Path(max_length=32, description="报检编号，如 BJ20260615000001")]
DENIED = {401: {"description": "未登录"}, 403: {"description": "不是检验员"}}


@router.get(
    "",
    summary="报检申请（检验员）",
    description=f"全部报检申请，最新的在前；可按状态和镇街筛选。{STAFF_NOTE}",
    dependencies=[Depends(inspector)],
    responses=DENIED,
)
def list_applications(
    session: SessionDep,
    page: PageDep,
    state: Annotated[ApplicationState | None, Query(description="只看这一状态")] = None,
    town: Annotated[
        str | None,
        Query(max_length=32, description="设备所在镇街：名称或代码，如 南城街道、nancheng"),
    ] = None,
) -> Page[ApplicationPublic]:
    """Every application, newest first, optionally in one state or town."""
    return applications.page_of(session, applications.staff_query(state=state, town=town), page)


@router.get(
    "/{number}",
    summary="报检申请详情（检验员）",
    description=STAFF_NOTE,
    dependencies=[Depends(inspector)],
    responses={**DENIED, 404: {"description": "没有该编号的申请"}},
)
def get_application(number: Number, session: SessionDep) -> ApplicationPublic:
    """One application with its steps."""
    return applications.view(session, applications.application_by_number(session, number=number))


@router.post(
    "/{number}/transitions",
    summary="推进报检申请（检验员）",
    description=(
        "把申请推进到下一状态：受理 → 已排期（填 scheduled_date）→ 检验中 → 出具报告"
        "（填 inspected_on、conclusion，压力容器另填 safety_level）。出具报告时生成报告验证码，"
        "并更新设备的检验结论与下次检验日期。每次推进记一条审计日志（`GET /v1/audit`）。"
        f"{STAFF_NOTE}"
    ),
    responses={
        **DENIED,
        404: {"description": "没有该编号的申请"},
        409: {"description": "to 不是下一状态（不能跳过或回退），或已被其他检验员推进"},
        422: {"description": "这一步所需的字段缺失或无效，或填了不属于这一步的字段"},
    },
)
def move_application(
    number: Number, body: Transition, actor: InspectorDep, session: SessionDep, now: NowDep
) -> ApplicationPublic:
    """Move an application to its next state with what that step needs."""
    application = applications.advance(session, number=number, move=body, actor=actor, now=now)
    return applications.view(session, application)
