"""Filters of the account list and their search conditions, which can be tested without HTTP."""

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from accounts.models import Account, AccountKind
from servicekit.search import contains


class AccountFilter(BaseModel):
    """The account list's query filters; a missing or blank filter matches every account."""

    kind: AccountKind | None = Field(
        default=None, description="subscription 订阅号 | service 服务号"
    )
    category: str | None = Field(default=None, description="领域，如 traffic、weather、town")
    town: str | None = Field(default=None, description="镇街代码，如 dalang")
    q: str | None = Field(default=None, max_length=50, description="按名称或简介搜索")
    status: Literal["active", "retired", "all"] = Field(
        default="active", description="active 在用（默认）| retired 已停用 | all 全部"
    )


def account_conditions(filters: AccountFilter) -> list[ColumnElement[bool]]:
    """WHERE clauses for `filters`.

    `status` is active (the default: retired accounts leave the list), retired or all.
    """
    conditions: list[ColumnElement[bool]] = []
    if filters.status != "all":
        conditions.append(col(Account.status) == filters.status)
    if filters.kind:
        conditions.append(col(Account.kind) == filters.kind)
    if filters.category:
        conditions.append(col(Account.category) == filters.category)
    if filters.town:
        conditions.append(col(Account.town) == filters.town)
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        conditions.append(
            or_(
                contains(col(Account.name), text, ignore_case=True),
                contains(col(Account.description), text, ignore_case=True),
            )
        )
    return conditions
