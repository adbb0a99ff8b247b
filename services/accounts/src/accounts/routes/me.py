"""`/v1/me`: the signed-in citizen's profile, their openids (masked) and their consents, and the
accounts they follow."""

from fastapi import APIRouter

from accounts.access import ACCESS_LOG
from accounts.follows import followed_accounts
from accounts.models import AccountPublic
from accounts.profiles import my_profile
from accounts.public import MeOut
from servicekit.deps import Page, PageDep, SessionDep
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get("", summary="我的资料", dependencies=[ACCESS_LOG.logs("profile")])
def get_me(citizen: CitizenDep, session: SessionDep) -> MeOut:
    """The calling citizen's id, masked openids per account and consent for each purpose."""
    return my_profile(session, citizen_id=citizen.subject)


@router.get("/follows", summary="我关注的公众号", dependencies=[ACCESS_LOG.logs("follows")])
def list_follows(citizen: CitizenDep, session: SessionDep, page: PageDep) -> Page[AccountPublic]:
    """The accounts the calling citizen follows now (through any of their openids), by code."""
    return followed_accounts(session, citizen_id=citizen.subject, page=page)
