"""`/v1/internal/citizens`: the gateway maps WeChat identities to citizen ids."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, Field

from accounts.citizens import WECHAT_ID_PATTERN, resolve_citizen_committed
from accounts.profiles import citizen_detail
from accounts.public import CitizenDetail
from servicekit.deps import SessionDep
from servicekit.identity import requires_caller

router = APIRouter(prefix="/v1/internal/citizens", tags=["internal"])


def blank_is_none(value: object) -> object:
    """WeChat leaves unknown fields empty; an empty unionid means none."""
    return value or None


WechatId = Annotated[str, Field(pattern=WECHAT_ID_PATTERN)]
OptionalUnionid = Annotated[
    WechatId | None,
    BeforeValidator(blank_is_none),
    Field(description="WeChat unionid；公众号未绑定开放平台时为空"),
]


class ResolveRequest(BaseModel):
    """A WeChat identity as the gateway saw it."""

    account_code: str = Field(max_length=32, description="公众号代码，如 dgjj")
    openid: WechatId = Field(description="该公众号下的 openid")
    unionid: OptionalUnionid = None


class ResolvedCitizen(BaseModel):
    """The stable id of the person behind a WeChat identity."""

    citizen_id: str


@router.post(
    "/resolve",
    response_model=ResolvedCitizen,
    summary="由 openid/unionid 解析市民 ID",
    dependencies=[requires_caller("gateway")],
)
def resolve(body: ResolveRequest, session: SessionDep) -> ResolvedCitizen:
    """The citizen_id of a WeChat identity, created on first sight (idempotent)."""
    citizen_id = resolve_citizen_committed(
        session, account_code=body.account_code, openid=body.openid, unionid=body.unionid
    )
    return ResolvedCitizen(citizen_id=citizen_id)


@router.get(
    "/{citizen_id}",
    response_model=CitizenDetail,
    summary="市民的各公众号 openid",
    dependencies=[requires_caller("gateway")],
)
def get_citizen(citizen_id: str, session: SessionDep) -> CitizenDetail:
    """A citizen and the openid they have with each account."""
    return citizen_detail(session, citizen_id=citizen_id)
