"""Business guides (办事指南): the table and its API models."""

from __future__ import annotations

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from traffic.models.base import Table


class FeeItem(SQLModel):
    """One fee of a business, in fen."""

    item: str
    fee_fen: int


class GuideBase(SQLModel):
    title: str = Field(max_length=60)
    category: str = Field(max_length=16, description="驾驶证 | 机动车 | 违法处理")
    summary: str = Field(max_length=300)


class Guide(Table, GuideBase, table=True):
    """A business guide: who, what to bring, what it costs, where and when."""

    id: str = Field(primary_key=True, max_length=40)
    conditions: list[str] = Field(sa_type=JSON, description="办理条件")
    materials: list[str] = Field(sa_type=JSON, description="申请材料")
    fees: list[dict] = Field(sa_type=JSON, description="收费项目")
    offices: list[str] = Field(sa_type=JSON, description="办理地点")
    hours: str = Field(max_length=120, description="办理时间")
    time_limit: str = Field(max_length=60, description="办理时限")
    online: str = Field(max_length=120, description="网上办理渠道")
    keywords: str = Field(max_length=200, description="检索用的同义词")


class GuideSummary(GuideBase):
    id: str


class GuidePublic(GuideBase):
    id: str
    conditions: list[str]
    materials: list[str]
    fees: list[FeeItem]
    offices: list[str]
    hours: str
    time_limit: str
    online: str
