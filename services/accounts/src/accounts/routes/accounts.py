"""`/v1/accounts`: the registry of the city's official WeChat accounts."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from accounts.filters import account_conditions
from accounts.models import Account, AccountKind, AccountPublic
from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.errors import NotFound

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.get("", response_model=Page[AccountPublic], summary="政务公众号列表")
def list_accounts(
    session: SessionDep,
    page: PageDep,
    kind: Annotated[
        AccountKind | None, Query(description="subscription 订阅号 | service 服务号")
    ] = None,
    category: Annotated[str | None, Query(description="领域，如 traffic、weather、town")] = None,
    town: Annotated[str | None, Query(description="镇街代码，如 dalang")] = None,
    q: Annotated[str | None, Query(max_length=50, description="按名称或简介搜索")] = None,
) -> Page[AccountPublic]:
    """The official accounts, optionally filtered, ordered by code."""
    query = select(Account).where(*account_conditions(kind=kind, category=category, town=town, q=q))
    return paginate(session, query, page, order_by=Account.code, public=AccountPublic)


@router.get("/{code}", response_model=AccountPublic, summary="政务公众号详情")
def get_account(code: str, session: SessionDep) -> AccountPublic:
    """One official account by its code."""
    row = session.get(Account, code)
    if row is None:
        raise NotFound(f"未找到公众号“{code}”，请使用 /v1/accounts 中的账号代码，如 dgjj。")
    return AccountPublic.model_validate(row, from_attributes=True)
