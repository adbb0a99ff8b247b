"""`/v1/internal/citizens`: the gateway maps WeChat identities to citizen ids."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from accounts.access import ACCESS_LOG
from accounts.citizens import OptionalUnionid, WechatId, resolve_citizen_committed
from accounts.profiles import citizen_detail
from accounts.public import CitizenDetail
from servicekit.access_log import ReaderDep
from servicekit.deps import SessionDep
from servicekit.identity import requires_caller

# Every route here is the gateway's alone.
router = APIRouter(
    prefix="/v1/internal/citizens",
    tags=["internal"],
    dependencies=[requires_caller("gateway")],
)


class ResolveRequest(BaseModel):
    """A WeChat identity as the gateway saw it."""

    account_code: str = Field(max_length=32, description="公众号代码，如 dgjj")
    openid: WechatId = Field(description="该公众号下的 openid")
    unionid: OptionalUnionid = None


class ResolvedCitizen(BaseModel):
    """The stable id of the person behind a WeChat identity."""

    citizen_id: str


@router.post("/resolve", summary="由 openid/unionid 解析市民 ID")
def resolve(body: ResolveRequest, session: SessionDep) -> ResolvedCitizen:
    """The citizen_id of a WeChat identity, created on first sight (idempotent)."""
    citizen_id = resolve_citizen_committed(
        session, account_code=body.account_code, openid=body.openid, unionid=body.unionid
    )
    return ResolvedCitizen(citizen_id=citizen_id)


@router.get("/{citizen_id}", summary="市民的各公众号 openid")
def get_citizen(citizen_id: str, session: SessionDep, reader: ReaderDep) -> CitizenDetail:
    """A citizen and the openid they have with each account; the read is in their access log."""
    detail = citizen_detail(session, citizen_id=citizen_id)
    ACCESS_LOG.record(session, reader.reading(citizen_id), "openids")
    return detail
