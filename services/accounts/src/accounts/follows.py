"""The accounts a citizen follows now: through each of their openids, the follower state the
subscribe/unsubscribe events left (`followers.py`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from accounts.models import Account, AccountPublic, CitizenOpenid, Follower
from servicekit.deps import Page, PageParams, paginate


def followed_accounts(
    session: Session, *, citizen_id: str, page: PageParams
) -> Page[AccountPublic]:
    """One page of the accounts the citizen follows, by account code (none for an unknown one)."""
    query = (
        select(Account)
        .join(Follower, col(Follower.account_code) == col(Account.code))
        .join(CitizenOpenid, col(CitizenOpenid.openid) == col(Follower.openid))
        .where(col(CitizenOpenid.citizen_id) == citizen_id, col(Follower.subscribed))
    )
    return paginate(session, query, page, order_by=Account.code, public=AccountPublic)
