"""Account registry tables and API models."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from sqlmodel import Field, SQLModel

from servicekit.db import table_base

Table = table_base()

AccountKind = Literal["subscription", "service"]
ACCOUNT_KINDS: tuple[str, ...] = get_args(AccountKind)


class AccountBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32, description="账号代码，如 dgjj")
    name: str = Field(max_length=64, description="公众号名称，如 东莞交警")
    wechat_id: str | None = Field(default=None, max_length=64, description="微信号；未公开时为空")
    kind: str | None = Field(
        default=None,
        max_length=16,
        description="subscription 订阅号 | service 服务号；来源未说明时为空",
    )
    verified_entity: str | None = Field(default=None, max_length=64, description="微信认证主体")
    agency: str | None = Field(default=None, max_length=64, description="运营单位")
    category: str = Field(max_length=32, description="领域，如 traffic、weather、town")
    town: str | None = Field(
        default=None, max_length=32, description="镇街账号所属镇街代码，如 dalang；市级账号为空"
    )
    launch_date: date | None = Field(
        default=None, description="开通日期；只知年月或不详时为空（年月见 description）"
    )
    followers: int | None = Field(default=None, description="粉丝数（报道所载约数）；不详时为空")
    description: str = Field(max_length=500, description="账号简介")
    status: str = Field(default="active", max_length=16, description="active")


class Account(Table, AccountBase, table=True):
    pass


class AccountPublic(AccountBase):
    pass
