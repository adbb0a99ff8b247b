"""Inspection tables and API models.

Dates are calendar days in Asia/Shanghai. User units are companies (never persons): their names
and unified social credit codes are public business registrations, shown unmasked.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Column, String
from sqlmodel import Field

from servicekit.db import table_base

Table = table_base()

Status = Literal["在用", "停用", "报废"]


class UserUnit(Table, table=True):
    """A company using registered equipment (使用单位)."""

    __tablename__ = "user_unit"

    credit_code: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=64)
    town: str = Field(max_length=32, description="the division code of its address")


class Equipment(Table, table=True):
    """One registered piece of special equipment and its standing."""

    registration_code: str = Field(primary_key=True, max_length=20)
    certificate_number: str = Field(max_length=20, unique=True)
    variety_code: str = Field(max_length=4)
    user_unit_code: str = Field(foreign_key="user_unit.credit_code", max_length=18, index=True)
    address: str = Field(max_length=128)
    town: str = Field(max_length=32)
    in_service: date
    last_inspection: date | None = None
    conclusion: str | None = Field(default=None, max_length=8)
    safety_level: int | None = None
    next_due: date | None = Field(default=None, index=True)
    status: Status = Field(sa_column=Column(String(4), nullable=False))


class EquipmentPublic(BaseModel):
    """What anyone may read of a piece of equipment: its 注册代码 and 使用登记证编号, category
    (电梯…) and variety (曳引驱动乘客电梯…), the user unit's name, the town and the place of use,
    and its standing."""

    registration_code: str
    certificate_number: str
    category: str
    variety: str
    user_unit: str
    town: str
    address: str
    status: Status = PydanticField(description="设备状态：在用、停用、报废")
    last_inspection: date | None = PydanticField(description="上次定期检验日期；未检验过为空")
    conclusion: str | None = PydanticField(description="上次检验结论")
    safety_level: int | None = PydanticField(description="压力容器安全状况等级（1-5级）")
    next_due: date | None = PydanticField(description="下次检验日期；检验不合格或报废为空")
    overdue: bool = PydanticField(description="在用且已过下次检验日期，或检验不合格仍登记在用")


class LiftCard(BaseModel):
    """What a lift's rider sees on the card in the car (电梯使用标志)."""

    registration_code: str = PydanticField(description="注册代码")
    variety: str
    user_unit: str = PydanticField(description="使用单位")
    address: str
    next_due: date | None = PydanticField(description="下次检验日期")
    usable: bool = PydanticField(description="在用、检验合格且未过期")
    notice: str = PydanticField(description="给乘客的一句话")
    emergency_phone: str = PydanticField(description="电梯应急救援电话")
