"""Traffic tables and API models."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from servicekit.db import table_base

Table = table_base()


class ViolationCodeBase(SQLModel):
    code: str = Field(primary_key=True, max_length=16, description="违法代码（wfxw），如 1625")
    description: str = Field(max_length=200, description="违法行为描述")
    points: int = Field(description="记分：12、9、6、3、1 或 0")
    fine_fen: int = Field(description="罚款金额（分）")
    verified: bool = Field(description="是否已与公开的代码表核对")


class ViolationCode(Table, ViolationCodeBase, table=True):
    __tablename__ = "violation_code"


class ViolationCodePublic(ViolationCodeBase):
    pass
