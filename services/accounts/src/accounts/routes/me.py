"""`/v1/me`: the signed-in citizen's profile, their openids (masked) and their consents."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from accounts.citizens import citizen_openids, is_provisional, mask, require_citizen
from accounts.consents import consent_states
from accounts.routes.citizens import OpenidPublic
from accounts.routes.consents import ConsentOut, consent_out
from servicekit.deps import SessionDep
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me", tags=["me"])


class MeOut(BaseModel):
    """Who the citizen is to the city's accounts."""

    citizen_id: str
    provisional: bool = Field(description="true：尚无 unionid，仅凭 openid 识别")
    openids: list[OpenidPublic] = Field(description="各公众号下的 openid（仅显示首尾各 4 位）")
    consents: list[ConsentOut] = Field(description="与 /v1/me/consents 的各项相同")


@router.get("", response_model=MeOut, summary="我的资料")
def get_me(citizen: CitizenDep, session: SessionDep) -> MeOut:
    """The calling citizen's id, masked openids per account and consent for each purpose."""
    record = require_citizen(session, citizen_id=citizen.subject)
    return MeOut(
        citizen_id=record.id,
        provisional=is_provisional(record),
        openids=[
            OpenidPublic(account_code=m.account_code, openid=mask(m.openid))
            for m in citizen_openids(session, citizen_id=record.id)
        ],
        consents=[consent_out(s) for s in consent_states(session, citizen_id=record.id)],
    )
