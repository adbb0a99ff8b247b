"""`/v1/accounts`: the registry of the city's official WeChat accounts."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from accounts.filters import AccountFilter
from accounts.models import AccountPublic
from accounts.registry import (
    account_detail,
    account_page,
    create_account,
    retire_account,
    update_account,
)
from accounts.staff import STAFF_NOTE, RegistryAdminDep
from servicekit.deps import Page, PageDep, SessionDep
from servicekit.http_cache import LIVE_MAX_AGE, NOT_MODIFIED, public_cache

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
# The registry is public; a registry admin's change shows within a minute.
LIVE = public_cache(LIVE_MAX_AGE)


class AccountUpdate(BaseModel):
    """Fields of an account a registry admin may change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, description="公众号名称")
    wechat_id: str | None = Field(default=None, description="微信号，6-20 位，以字母开头")
    kind: str | None = Field(default=None, description="subscription 订阅号 | service 服务号")
    verified_entity: str | None = Field(default=None, description="微信认证主体")
    agency: str | None = Field(default=None, description="运营单位")
    category: str | None = Field(default=None, description="领域，如 traffic、weather、town")
    town: str | None = Field(default=None, description="镇街代码（33 个镇街园区之一），如 dalang")
    launch_date: date | None = Field(default=None, description="开通日期")
    followers: int | None = Field(default=None, description="粉丝数")
    description: str | None = Field(default=None, description="账号简介，最多 500 字")
    appid: str | None = Field(default=None, description="公众号 AppID：wx + 16 位十六进制")


class AccountCreate(AccountUpdate):
    """A new account; it starts active."""

    code: str = Field(description="账号代码：2-32 位小写字母、数字或下划线，创建后不可修改")
    name: str = Field(description="公众号名称")
    category: str = Field(description="领域，如 traffic、weather、town")
    description: str = Field(default="", description="账号简介，最多 500 字")


@router.get("", summary="政务公众号列表", dependencies=[LIVE], responses=NOT_MODIFIED)
def list_accounts(
    session: SessionDep, page: PageDep, filters: Annotated[AccountFilter, Query()]
) -> Page[AccountPublic]:
    """The official accounts, optionally filtered, ordered by code."""
    return account_page(session=session, page=page, filters=filters)


@router.get("/{code}", summary="政务公众号详情", dependencies=[LIVE], responses=NOT_MODIFIED)
def get_account_detail(code: str, session: SessionDep) -> AccountPublic:
    """One official account by its code, retired ones included (see `status`)."""
    return account_detail(session=session, code=code)


@router.post(
    "",
    status_code=201,
    summary="登记政务公众号",
    description="登记一个新公众号（状态为 active）。账号代码已存在时 409。" + STAFF_NOTE,
)
def post_account(
    body: AccountCreate, session: SessionDep, actor: RegistryAdminDep
) -> AccountPublic:
    """Register an account."""
    return create_account(session=session, values=body.model_dump(), actor=actor)


@router.patch(
    "/{code}",
    summary="修改政务公众号",
    description="只修改请求中给出的字段；账号代码和状态不能在此修改（停用见 retire）。"
    + STAFF_NOTE,
)
def patch_account(
    code: str, body: AccountUpdate, session: SessionDep, actor: RegistryAdminDep
) -> AccountPublic:
    """Change some fields of an account."""
    values = body.model_dump(exclude_unset=True)
    return update_account(session=session, code=code, values=values, actor=actor)


@router.post(
    "/{code}/retire",
    operation_id="retireAccount",
    summary="停用政务公众号",
    description="停用后不再出现在默认列表中，详情仍可查看；已停用时 409。" + STAFF_NOTE,
)
def post_retire(code: str, session: SessionDep, actor: RegistryAdminDep) -> AccountPublic:
    """Retire an account."""
    return retire_account(session=session, code=code, actor=actor)
