"""Social-security tables and API models.

Stored times are UTC (`DateTime(timezone=True)`); months (缴费期) are the date of their first day;
money is integer fen; rates are basis points (1% = 100). Personal identifiers are stored in full
(they are the proofs a binding checks) and leave the service only through the `Masked*` types
of `socialsec.masking`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, DateTime, String
from sqlmodel import Field, SQLModel

from servicekit.access_log import AccessLogBase
from servicekit.bindings import BindingFailureBase
from servicekit.db import table_base
from socialsec import openapi_examples as examples
from socialsec.contributions import PaymentStatus
from socialsec.masking import MaskedCardNumber, MaskedIdNumber, MaskedName

Table = table_base()

PersonStatus = Literal["active", "suspended", "retired"]
CardStatus = Literal["normal", "lost", "cancelled"]
CardStage = Literal["accepted", "making", "posted", "ready", "collected"]
Account = Literal["pension", "medical"]


# -- offices ---------------------------------------------------------------------------------------


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
    model_config = ConfigDict(json_schema_extra={"examples": [examples.OFFICE]})


# -- rates -----------------------------------------------------------------------------------------


class ContributionRateBase(SQLModel):
    region: str = Field(primary_key=True, max_length=32, description="地区，如 dongguan")
    insurance: str = Field(primary_key=True, max_length=16, description="险种，如 pension")
    effective_from: date = Field(primary_key=True, description="生效日期（含）")
    employer_bp: int = Field(description="单位费率，基点（1% = 100）")
    employee_bp: int = Field(description="个人费率，基点（1% = 100）")
    base_min_fen: int = Field(description="缴费基数下限（分）")
    base_max_fen: int = Field(description="缴费基数上限（分）")
    source: str = Field(max_length=16, description="reference：费率取自参考资料；demo：演示数据")


class ContributionRate(Table, ContributionRateBase, table=True):
    __tablename__ = "contribution_rate"


class ContributionRatePublic(ContributionRateBase):
    insurance_name: str = Field(description="险种名称，如 养老保险")
    employer_pct: float = Field(description="单位费率（%）")
    employee_pct: float = Field(description="个人费率（%）")


# -- insured persons -------------------------------------------------------------------------------


class Employer(Table, table=True):
    """An employer that declares contributions for its staff."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    town: str = Field(max_length=32)


class InsuredPerson(Table, table=True):
    """An insured person (参保人)."""

    __tablename__ = "insured_person"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32)
    id_number: str = Field(max_length=18, unique=True)
    gender: str = Field(max_length=1, description="M or F")
    birth_date: date
    town: str = Field(max_length=32, description="居住镇街代码")
    household_dongguan: bool = Field(description="是否东莞户籍")
    residence_permit: bool = Field(description="是否持有东莞居住证")
    status: PersonStatus = Field(sa_type=String(16), description="active | suspended | retired")
    insured_since: date = Field(description="首次参保月份")
    retired_on: date | None = None
    employer_id: int | None = Field(default=None, foreign_key="employer.id")


class SocialCard(Table, table=True):
    """A person's social-security card (社会保障卡) with its bank account (金融账户)."""

    __tablename__ = "social_card"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="insured_person.id", unique=True)
    card_number: str = Field(max_length=9, unique=True)
    status: CardStatus = Field(sa_type=String(16), description="normal | lost | cancelled")
    stage: CardStage = Field(
        sa_type=String(16), description="accepted | making | posted | ready | collected"
    )
    bank: str = Field(max_length=32)
    bank_account: str = Field(max_length=19)
    pickup_office: str = Field(max_length=32, description="领卡网点（镇街代码）")


class CardEvent(Table, table=True):
    """One step of making a card (制卡进度)."""

    __tablename__ = "card_event"
    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="social_card.id", index=True)
    stage: CardStage = Field(sa_type=String(16))
    at: datetime = Field(sa_type=DateTime(timezone=True))
    note: str = Field(max_length=128)


class ContributionSpan(Table, table=True):
    """Months an employer declared for a person at one base, paid or still owed."""

    __tablename__ = "contribution_span"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="insured_person.id", index=True)
    employer_id: int = Field(foreign_key="employer.id")
    first_month: date
    last_month: date
    base_fen: int = Field(description="申报的缴费基数（分）")
    status: PaymentStatus = Field(sa_type=String(8), description="paid | owed")


class AccountEntry(Table, table=True):
    """A posting to a person's pension or medical individual account (个人账户)."""

    __tablename__ = "account_entry"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="insured_person.id", index=True)
    account: Account = Field(sa_type=String(16), description="pension | medical")
    posted_on: date
    kind: str = Field(max_length=16, description="credit | interest | spending | payout")
    amount_fen: int
    balance_fen: int = Field(description="记账后余额（分）")
    note: str = Field(max_length=64)


class PensionPayment(Table, table=True):
    """One month's pension paid to a retiree (养老金发放)."""

    __tablename__ = "pension_payment"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="insured_person.id", index=True)
    month: date
    amount_fen: int
    paid_on: date


# -- bindings, certificates, access log ----------------------------------------------------------


class Binding(Table, table=True):
    """A citizen's proven link to their insured-person record (DESIGN §6)."""

    id: int | None = Field(default=None, primary_key=True)
    # One record per citizen, and one citizen per record.
    citizen_id: str = Field(max_length=40, unique=True)
    person_id: int = Field(foreign_key="insured_person.id", unique=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


class BindingFailure(Table, BindingFailureBase, table=True):
    """One refused binding attempt (servicekit.bindings)."""

    __tablename__ = "binding_failure"


class Certificate(Table, table=True):
    """An issued certificate of insurance (参保证明); only masked data is kept with it."""

    code: str = Field(primary_key=True, max_length=16, description="验证码")
    person_id: int = Field(foreign_key="insured_person.id", index=True)
    first_month: date
    last_month: date
    issued_at: datetime = Field(sa_type=DateTime(timezone=True))
    valid_until: datetime = Field(sa_type=DateTime(timezone=True))
    holder_name: str = Field(max_length=32, description="已脱敏")
    id_number: str = Field(max_length=18, description="已脱敏")
    summary: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class AccessLog(Table, AccessLogBase, table=True):
    """One read of personal records (servicekit.access_log), and whose record it was."""

    __tablename__ = "access_log"
    person_id: int | None = Field(default=None, foreign_key="insured_person.id")


# -- FAQ -------------------------------------------------------------------------------------------


class FaqBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32, description="问题代码")
    category: str = Field(max_length=16, description="分类，如 社保卡")
    question: str = Field(max_length=128)
    answer: str = Field(max_length=1000)


class Faq(Table, FaqBase, table=True):
    pass


class FaqPublic(FaqBase):
    pass


# -- API models ------------------------------------------------------------------------------------


class BindingCreate(SQLModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BINDING_CREATE]})
    name: str = Field(description="姓名，如 李四")
    id_number: str = Field(description="身份证号码（18位），如 441900198505203523")
    card_number: str = Field(description="社保卡号（9位，见社保卡正面），如 S19850520")


class BindingPublic(SQLModel):
    id: int
    name: MaskedName
    id_number: MaskedIdNumber
    card_number: MaskedCardNumber
    created_at: datetime


class ProfilePublic(SQLModel):
    name: MaskedName
    id_number: MaskedIdNumber
    card_number: MaskedCardNumber
    gender: str = Field(description="男 / 女")
    age: int
    status: PersonStatus
    status_text: str = Field(description="参保状态：在职参保 / 暂停缴费 / 退休")
    insured_since: str = Field(description="首次参保月份 YYYY-MM")
    employer: str | None = Field(description="当前参保单位")
    town_name: str
    household: str = Field(description="东莞户籍 / 非东莞户籍")
    residence_permit: bool


class ContributionRowPublic(SQLModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CONTRIBUTION]})
    month: str = Field(description="缴费月份 YYYY-MM")
    insurance: str
    insurance_name: str
    employer: str
    base_fen: int
    employer_fen: int
    employee_fen: int
    total_fen: int
    status: PaymentStatus
    status_text: str = Field(description="已缴 / 欠缴")


class TotalsPublic(SQLModel):
    months_paid: int
    months_owed: int
    employer_fen: int
    employee_fen: int
    total_fen: int
    paid_fen: int
    owed_fen: int


class InsuranceTotalsPublic(TotalsPublic):
    insurance: str
    insurance_name: str


class ContributionSummaryPublic(SQLModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CONTRIBUTION_SUMMARY]})
    from_month: str = Field(description="起始月份 YYYY-MM")
    to_month: str = Field(description="截止月份 YYYY-MM")
    totals: TotalsPublic
    by_insurance: list[InsuranceTotalsPublic]
    gap_months: list[str] = Field(description="断缴月份")
    continuous_months: int = Field(description="截至所查期间末连续缴费月数")


class AccountPublic(SQLModel):
    account: Account
    name: str
    balance_fen: int
    as_of: date | None


class AccountEntryPublic(SQLModel):
    posted_on: date
    kind: str
    kind_text: str
    amount_fen: int
    balance_fen: int
    note: str


class CardEventPublic(SQLModel):
    stage: CardStage
    stage_text: str
    at: datetime
    note: str


class CardPublic(SQLModel):
    card_number: MaskedCardNumber
    status: CardStatus
    status_text: str
    stage: CardStage
    stage_text: str
    bank: str
    bank_account: MaskedCardNumber
    pickup_office: str
    progress: list[CardEventPublic]


class PensionPaymentPublic(SQLModel):
    month: str
    amount_fen: int
    paid_on: date


class CertificateCheck(SQLModel):
    code: str
    valid: bool
    validity_text: str
    issued_at: datetime
    valid_until: datetime
    holder_name: MaskedName
    id_number: MaskedIdNumber
    from_month: str
    to_month: str
    summary: dict[str, Any] = Field(description="各险种已缴、欠缴月数（不含金额）")


class ConditionPublic(SQLModel):
    code: str
    met: bool
    text: str


class RuleResultPublic(SQLModel):
    rule: str
    title: str
    eligible: bool
    summary: str
    conditions: list[ConditionPublic]


class RulePublic(SQLModel):
    rule: str
    title: str
    description: str


class FreeBusCheck(SQLModel):
    birth_date: date = Field(description="出生日期")
    dongguan_household: bool = Field(description="是否东莞户籍")
    residence_permit: bool = Field(description="是否持有东莞居住证")
