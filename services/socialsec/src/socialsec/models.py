"""Social-security tables and API models."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from servicekit.db import table_base

Table = table_base()


class OfficeBase(SQLModel):
    town: str = Field(primary_key=True, max_length=32, description="镇街拼音代码，如 dalang")
    town_name: str = Field(max_length=32, description="镇街名称，如 大朗镇")
    name: str = Field(max_length=64, description="如 东莞市社会保险基金管理中心大朗分局")
    address: str = Field(max_length=128, description="办事地址")
    phone: str = Field(max_length=32, description="咨询电话，如 0769-83106399")
    hours: str = Field(max_length=64, description="办公时间")
    demo: bool = Field(description="true：地址、电话或办公时间中含演示数据，不可当作真实信息")
    phone_demo: bool = Field(description="true：电话为演示号码；false：电话来自公开来源")


class Office(Table, OfficeBase, table=True):
    pass


class OfficePublic(OfficeBase):
    pass
