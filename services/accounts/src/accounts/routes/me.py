"""`/v1/me`: the signed-in citizen's profile, their openids (masked) and their consents."""

from fastapi import APIRouter

from accounts.access import ACCESS_LOG
from accounts.profiles import my_profile
from accounts.public import MeOut
from servicekit.deps import SessionDep
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get("", summary="我的资料", dependencies=[ACCESS_LOG.logs("profile")])
def get_me(citizen: CitizenDep, session: SessionDep) -> MeOut:
    """The calling citizen's id, masked openids per account and consent for each purpose."""
    return my_profile(session, citizen_id=citizen.subject)
