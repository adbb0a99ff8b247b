"""`/v1/me/applications`: a unit contact applies for periodic inspections and follows them."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from inspection import applications
from inspection.access import ACCESS_LOG
from inspection.contacts import unit_codes_of
from inspection.models import ApplicationCreate, ApplicationPublic, ApplicationState
from servicekit.clock import NowDep
from servicekit.deps import Page, PageDep, SessionDep
from servicekit.idempotency import idempotency_header
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me/applications", tags=["applications"])
SubmissionKey = Annotated[
    str, idempotency_header("客户端生成的唯一键；重试时用同一键和请求体，返回同一申请（200）")
]
Number = Annotated[str, Path(max_length=32, description="报检编号，如 BJ20260615000001")]
StateFilter = Annotated[ApplicationState | None, Query(description="只看这一状态的申请")]
OpenFilter = Annotated[
    bool, Query(alias="open", description="true：只看未办结（尚未出具报告）的申请")
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createApplication",
    summary="申请定期检验（报检）",
    responses={
        200: {
            "description": "同一 Idempotency-Key 与请求体的重试：返回原申请",
            "model": ApplicationPublic,
        },
        404: {"description": "设备不存在，或您不是该设备使用单位的联系人"},
        409: {"description": "设备已报废、已有未办结的申请，或 Idempotency-Key 用于另一请求"},
        422: {"description": "注册代码格式错误、希望日期不在今天起90天内，或缺少 Idempotency-Key"},
    },
)
def submit(
    body: ApplicationCreate,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: SubmissionKey,
    response: Response,
) -> ApplicationPublic:
    """Apply for the periodic inspection of one piece of your unit's equipment (you must be a
    contact of its user unit); one open application per piece of equipment."""
    application, new = applications.submit(
        session, citizen_id=citizen.subject, body=body, idempotency_key=idempotency_key, now=now
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    return applications.view(session, application)


@router.get(
    "",
    operation_id="listMyApplications",
    summary="我单位的报检申请",
    dependencies=[ACCESS_LOG.logs("applications")],
)
def list_mine(
    citizen: CitizenDep,
    session: SessionDep,
    page: PageDep,
    state: StateFilter = None,
    open_only: OpenFilter = False,
) -> Page[ApplicationPublic]:
    """The applications of every unit you are a contact of, newest first."""
    codes = unit_codes_of(session, citizen_id=citizen.subject)
    query = applications.contact_query(unit_codes=codes, state=state, open_only=open_only)
    return applications.page_of(session, query, page)


@router.get(
    "/{number}",
    operation_id="getMyApplication",
    summary="报检申请详情与进度",
    dependencies=[ACCESS_LOG.logs("applications", "申请详情")],
    responses={404: {"description": "没有该编号的申请，或不是您单位的申请"}},
)
def get_mine(number: Number, citizen: CitizenDep, session: SessionDep) -> ApplicationPublic:
    """One application of your units, with every step it went through."""
    application = applications.application_for_contact(
        session, citizen_id=citizen.subject, number=number
    )
    return applications.view(session, application)
