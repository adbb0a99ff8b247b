"""`/v1/me/...`: the bound citizen's own records, masked, every read written to the access log.

No path or query parameter names a person: the record is the one bound to the caller's token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from servicekit.access_log import AccessLogPublic
from servicekit.deps import Page, PageDep, PageParams, SessionDep
from servicekit.identity import CitizenDep
from socialsec import enquiries
from socialsec.access import ACCESS_LOG
from socialsec.contributions import PaymentStatus
from socialsec.models import (
    Account,
    AccountEntryPublic,
    AccountPublic,
    CardPublic,
    ContributionRowPublic,
    ContributionSummaryPublic,
    PensionPaymentPublic,
    ProfilePublic,
    RuleResultPublic,
)
from socialsec.rates import Insurance
from socialsec.routes.params import MeDep, PeriodDep
from socialsec.settings import SocialsecSettingsDep

router = APIRouter(prefix="/v1/me", tags=["me"])

InsuranceQuery = Annotated[
    Insurance | None,
    Query(description="险种：pension、medical、unemployment、work_injury、maternity"),
]


@router.get("/profile", response_model=ProfilePublic, summary="我的参保信息")
def profile(me: MeDep, session: SessionDep) -> ProfilePublic:
    """The bound person's identity (masked), status, employer and household facts."""
    return enquiries.profile(session, me)


@router.get(
    "/contributions", response_model=Page[ContributionRowPublic], summary="缴费明细（按月、按险种）"
)
def list_contributions(
    me: MeDep,
    period: PeriodDep,
    session: SessionDep,
    page: PageDep,
    settings: SocialsecSettingsDep,
    insurance: InsuranceQuery = None,
    status: Annotated[PaymentStatus | None, Query(description="paid 或 owed")] = None,
) -> Page[ContributionRowPublic]:
    """Each month and insurance of the period, newest first: base, both parts, paid or owed."""
    return enquiries.contribution_rows(
        session,
        me,
        region=settings.region,
        period=period,
        page=page,
        insurance=insurance,
        status=status,
    )


@router.get(
    "/contributions/summary",
    response_model=ContributionSummaryPublic,
    summary="缴费汇总：合计与断缴月份",
)
def contribution_summary(
    me: MeDep,
    period: PeriodDep,
    session: SessionDep,
    settings: SocialsecSettingsDep,
    insurance: InsuranceQuery = None,
) -> ContributionSummaryPublic:
    """Totals of the period, per insurance and overall, the gap months and the current streak."""
    return enquiries.contribution_summary(
        session,
        me,
        region=settings.region,
        period=period,
        insurance=insurance,
    )


@router.get("/accounts", response_model=Page[AccountPublic], summary="个人账户余额")
def accounts(me: MeDep, session: SessionDep) -> Page[AccountPublic]:
    """The pension and medical individual accounts' balances, as of their last posting."""
    return enquiries.accounts(session, me)


@router.get(
    "/accounts/{account}/entries",
    response_model=Page[AccountEntryPublic],
    summary="个人账户收支明细",
)
def account_entries(
    account: Account, me: MeDep, session: SessionDep, page: PageDep
) -> Page[AccountEntryPublic]:
    """Postings to one of the bound person's accounts, newest first."""
    return enquiries.account_entries(session, me, account=account, page=page)


class SummaryPublic(BaseModel):
    """The home screen's part of social security (the gateway's /api/v1/me/overview)."""

    card: CardPublic
    last_contribution: ContributionRowPublic | None = Field(
        description="期间内最近一个已缴的月份与险种；没有时为空"
    )


@router.get(
    "/summary", response_model=SummaryPublic, summary="我的社保概览：社保卡状态与最近一次缴费"
)
def summary(
    me: MeDep, period: PeriodDep, session: SessionDep, settings: SocialsecSettingsDep
) -> SummaryPublic:
    """`/card` and the newest row of `/contributions?status=paid` in one read."""
    newest = enquiries.contribution_rows(
        session,
        me,
        region=settings.region,
        period=period,
        page=PageParams(limit=1, offset=0),
        status="paid",
    )
    return SummaryPublic(
        card=enquiries.card(session, me),
        last_contribution=newest.items[0] if newest.items else None,
    )


@router.get("/card", response_model=CardPublic, summary="社保卡状态与制卡进度")
def card(me: MeDep, session: SessionDep) -> CardPublic:
    """The card's status (正常/挂失/注销) and each card-making step reached so far."""
    return enquiries.card(session, me)


@router.get(
    "/pension-payments", response_model=Page[PensionPaymentPublic], summary="养老金发放记录"
)
def pension_payments(me: MeDep, session: SessionDep, page: PageDep) -> Page[PensionPaymentPublic]:
    """Monthly pensions paid to the bound retiree, newest first (none before retirement)."""
    return enquiries.pension_payments(session, me, page=page)


@router.get("/eligibility", response_model=Page[RuleResultPublic], summary="政策资格（附理由）")
def eligibility(
    me: MeDep, session: SessionDep, settings: SocialsecSettingsDep
) -> Page[RuleResultPublic]:
    """The city's rules applied to the bound person: eligible or not, and every reason."""
    return enquiries.eligibility(session, me, free_bus_age=settings.free_bus_age)


@router.get("/access-log", response_model=Page[AccessLogPublic], summary="我的个人记录访问记录")
def access_log(citizen: CitizenDep, session: SessionDep, page: PageDep) -> Page[AccessLogPublic]:
    """Every read of personal records made with the caller's identity, newest first."""
    return ACCESS_LOG.page(session, citizen_id=citizen.subject, page=page)
