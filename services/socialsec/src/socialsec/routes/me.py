"""`/v1/me/...`: the bound citizen's own records, masked, every read written to the access log.

No path or query parameter names a person: the record is the one bound to the caller's token.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import col, func, select

from servicekit.clock import local, local_day
from servicekit.deps import Page, PageDep, SessionDep
from servicekit.identity import CitizenDep
from socialsec.access import RESOURCE_TEXT
from socialsec.accounts import KIND_TEXT
from socialsec.clock import age_on, month_label, month_of
from socialsec.contributions import Totals, continuous_months
from socialsec.eligibility import (
    STAGE_TEXT,
    STATUS_TEXT,
    CardFacts,
    RuleResult,
    elderly_free_bus,
    provident_fund_withdrawal,
)
from socialsec.models import (
    AccessLog,
    AccessLogPublic,
    AccountEntry,
    AccountEntryPublic,
    AccountPublic,
    CardEvent,
    CardEventPublic,
    CardPublic,
    ContributionRowPublic,
    ContributionSummaryPublic,
    Employer,
    InsuranceTotalsPublic,
    PensionPayment,
    PensionPaymentPublic,
    ProfilePublic,
    RuleResultPublic,
    TotalsPublic,
)
from socialsec.rates import INSURANCE_NAMES, INSURANCES, Insurance
from socialsec.records import STATUS_TEXT as PERSON_STATUS_TEXT
from socialsec.records import contributions
from socialsec.reference import divisions
from socialsec.routes.params import MeDep, PeriodDep

router = APIRouter(prefix="/v1/me", tags=["me"])
ACCOUNT_NAMES = {"pension": "养老保险个人账户", "medical": "医疗保险个人账户"}
PAYMENT_STATUS_TEXT = {"paid": "已缴", "owed": "欠缴"}

InsuranceQuery = Annotated[
    Insurance | None,
    Query(description="险种：pension、medical、unemployment、work_injury、maternity"),
]


def _totals(totals: Totals) -> dict[str, int]:
    return {
        "months_paid": totals.months_paid,
        "months_owed": totals.months_owed,
        "employer_fen": totals.employer_fen,
        "employee_fen": totals.employee_fen,
        "total_fen": totals.total_fen,
        "paid_fen": totals.paid_fen,
        "owed_fen": totals.owed_fen,
    }


@router.get("/profile", response_model=ProfilePublic, summary="我的参保信息")
def profile(me: MeDep, session: SessionDep) -> ProfilePublic:
    """The bound person's identity (masked), status, employer and household facts."""
    person, card = me.bound.person, me.bound.card
    employer = session.get(Employer, person.employer_id) if person.employer_id else None
    towns = {d.code: d.name for d in divisions()}
    me.log_read(session, "profile")
    return ProfilePublic(
        name=person.name,
        id_number=person.id_number,
        card_number=card.card_number,
        gender="男" if person.gender == "M" else "女",
        age=age_on(birth=person.birth_date, day=local_day(me.now)),
        status=person.status,  # type: ignore[arg-type]
        status_text=PERSON_STATUS_TEXT[person.status],
        insured_since=month_label(person.insured_since),
        employer=employer.name if employer else None,
        town_name=towns.get(person.town, person.town),
        household="东莞户籍" if person.household_dongguan else "非东莞户籍",
        residence_permit=person.residence_permit,
    )


@router.get(
    "/contributions", response_model=Page[ContributionRowPublic], summary="缴费明细（按月、按险种）"
)
def list_contributions(
    me: MeDep,
    period: PeriodDep,
    session: SessionDep,
    page: PageDep,
    request: Request,
    insurance: InsuranceQuery = None,
    status: Annotated[Literal["paid", "owed"] | None, Query(description="paid 或 owed")] = None,
) -> Page[ContributionRowPublic]:
    """Each month and insurance of the period, newest first: base, both parts, paid or owed."""
    rows, _, _ = contributions(
        session,
        person=me.bound.person,
        region=request.app.state.settings.region,
        first=period.first,
        last=period.last,
        this_month=month_of(local_day(me.now)),
        insurances=(insurance,) if insurance else INSURANCES,
    )
    if status:
        rows = [r for r in rows if r.status == status]
    me.log_read(session, "contributions", f"{period.label} {insurance or '全部险种'}")
    return Page(
        items=[
            ContributionRowPublic(
                month=month_label(r.month),
                insurance=r.insurance,
                insurance_name=INSURANCE_NAMES[r.insurance],
                employer=r.employer,
                base_fen=r.base_fen,
                employer_fen=r.employer_fen,
                employee_fen=r.employee_fen,
                total_fen=r.total_fen,
                status=r.status,
                status_text=PAYMENT_STATUS_TEXT[r.status],
            )
            for r in rows[page.offset : page.offset + page.limit]
        ],
        total=len(rows),
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
    request: Request,
    insurance: InsuranceQuery = None,
) -> ContributionSummaryPublic:
    """Totals of the period, per insurance and overall, the gap months and the current streak."""
    _, summary, spans = contributions(
        session,
        person=me.bound.person,
        region=request.app.state.settings.region,
        first=period.first,
        last=period.last,
        this_month=month_of(local_day(me.now)),
        insurances=(insurance,) if insurance else INSURANCES,
    )
    me.log_read(session, "contribution_summary", f"{period.label} {insurance or '全部险种'}")
    return ContributionSummaryPublic(
        from_month=month_label(period.first),
        to_month=month_label(period.last),
        totals=TotalsPublic(**_totals(summary.overall)),
        by_insurance=[
            InsuranceTotalsPublic(
                insurance=name,
                insurance_name=INSURANCE_NAMES[name],
                **_totals(summary.by_insurance[name]),
            )
            for name in INSURANCES
            if name in summary.by_insurance
        ],
        gap_months=[month_label(m) for m in summary.gaps],
        continuous_months=continuous_months(spans=spans, until=period.last),
    )


@router.get("/accounts", response_model=Page[AccountPublic], summary="个人账户余额")
def accounts(me: MeDep, session: SessionDep) -> Page[AccountPublic]:
    """The pension and medical individual accounts' balances, as of their last posting."""
    items = []
    for account, name in ACCOUNT_NAMES.items():
        last = session.exec(
            select(AccountEntry)
            .where(AccountEntry.person_id == me.person_id, AccountEntry.account == account)
            .order_by(col(AccountEntry.posted_on).desc(), col(AccountEntry.id).desc())
        ).first()
        items.append(
            AccountPublic(
                account=account,  # type: ignore[arg-type]
                name=name,
                balance_fen=last.balance_fen if last else 0,
                as_of=last.posted_on if last else None,
            )
        )
    me.log_read(session, "accounts")
    return Page(items=items, total=len(items))


@router.get(
    "/accounts/{account}/entries",
    response_model=Page[AccountEntryPublic],
    summary="个人账户收支明细",
)
def account_entries(
    account: Literal["pension", "medical"], me: MeDep, session: SessionDep, page: PageDep
) -> Page[AccountEntryPublic]:
    """Postings to one of the bound person's accounts, newest first."""
    where = (AccountEntry.person_id == me.person_id, AccountEntry.account == account)
    total = session.exec(select(func.count()).select_from(AccountEntry).where(*where)).one()
    entries = session.exec(
        select(AccountEntry)
        .where(*where)
        .order_by(col(AccountEntry.posted_on).desc(), col(AccountEntry.id).desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    me.log_read(session, "account_entries", ACCOUNT_NAMES[account])
    return Page(
        items=[
            AccountEntryPublic(
                posted_on=e.posted_on,
                kind=e.kind,
                kind_text=KIND_TEXT[e.kind],
                amount_fen=e.amount_fen,
                balance_fen=e.balance_fen,
                note=e.note,
            )
            for e in entries
        ],
        total=total,
    )


@router.get("/card", response_model=CardPublic, summary="社保卡状态与制卡进度")
def card(me: MeDep, session: SessionDep) -> CardPublic:
    """The card's status (正常/挂失/注销) and each card-making step reached so far."""
    card = me.bound.card
    events = session.exec(
        select(CardEvent).where(CardEvent.card_id == card.id).order_by(col(CardEvent.at))
    ).all()
    towns = {d.code: d.name for d in divisions()}
    me.log_read(session, "card")
    return CardPublic(
        card_number=card.card_number,
        status=card.status,  # type: ignore[arg-type]
        status_text=STATUS_TEXT[card.status],
        stage=card.stage,  # type: ignore[arg-type]
        stage_text=STAGE_TEXT[card.stage],
        bank=card.bank,
        bank_account=card.bank_account,
        pickup_office=f"{towns.get(card.pickup_office, card.pickup_office)}社保分局",
        progress=[
            CardEventPublic(
                stage=e.stage,  # type: ignore[arg-type]
                stage_text=STAGE_TEXT[e.stage],
                at=local(e.at),
                note=e.note,
            )
            for e in events
        ],
    )


@router.get(
    "/pension-payments", response_model=Page[PensionPaymentPublic], summary="养老金发放记录"
)
def pension_payments(me: MeDep, session: SessionDep, page: PageDep) -> Page[PensionPaymentPublic]:
    """Monthly pensions paid to the bound retiree, newest first (none before retirement)."""
    where = PensionPayment.person_id == me.person_id
    total = session.exec(select(func.count()).select_from(PensionPayment).where(where)).one()
    payments = session.exec(
        select(PensionPayment)
        .where(where)
        .order_by(col(PensionPayment.month).desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    me.log_read(session, "pension_payments")
    return Page(
        items=[
            PensionPaymentPublic(
                month=month_label(p.month), amount_fen=p.amount_fen, paid_on=p.paid_on
            )
            for p in payments
        ],
        total=total,
    )


def rule_public(result: RuleResult) -> RuleResultPublic:
    return RuleResultPublic.model_validate(
        {
            "rule": result.rule,
            "title": result.title,
            "eligible": result.eligible,
            "summary": result.summary,
            "conditions": [vars(c) for c in result.conditions],
        }
    )


@router.get("/eligibility", response_model=Page[RuleResultPublic], summary="政策资格（附理由）")
def eligibility(me: MeDep, session: SessionDep, request: Request) -> Page[RuleResultPublic]:
    """The city's rules applied to the bound person: eligible or not, and every reason."""
    person, card = me.bound.person, me.bound.card
    results = [
        provident_fund_withdrawal(
            card=CardFacts(
                status=card.status, stage=card.stage, bank=card.bank, bank_account=card.bank_account
            )
        ),
        elderly_free_bus(
            birth_date=person.birth_date,
            on=local_day(me.now),
            household_dongguan=person.household_dongguan,
            residence_permit=person.residence_permit,
            age_threshold=request.app.state.settings.free_bus_age,
        ),
    ]
    me.log_read(session, "eligibility")
    return Page(items=[rule_public(r) for r in results], total=len(results))


@router.get("/access-log", response_model=Page[AccessLogPublic], summary="我的个人记录访问记录")
def access_log(citizen: CitizenDep, session: SessionDep, page: PageDep) -> Page[AccessLogPublic]:
    """Every read of personal records made with the caller's identity, newest first."""
    where = AccessLog.citizen_id == citizen.subject
    total = session.exec(select(func.count()).select_from(AccessLog).where(where)).one()
    rows = session.exec(
        select(AccessLog)
        .where(where)
        .order_by(col(AccessLog.at).desc(), col(AccessLog.id).desc())
        .offset(page.offset)
        .limit(page.limit)
    ).all()
    return Page(
        items=[
            AccessLogPublic(
                at=local(r.at),
                resource=r.resource,
                resource_text=RESOURCE_TEXT[r.resource],
                detail=r.detail,
                request_id=r.request_id,
            )
            for r in rows
        ],
        total=total,
    )
