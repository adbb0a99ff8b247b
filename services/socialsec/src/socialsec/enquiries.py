"""The bound citizen's own records as API documents, every read written to the access log.

`/v1/me/...` and the chat answers (socialsec.answers) read through these functions alike, so a
read in chat leaves the same access-log rows as the same read in the app.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from servicekit.clock import local_day
from servicekit.deps import Page, PageParams, paginate
from socialsec.access import Me
from socialsec.clock import Period, month_of
from socialsec.contributions import MonthRow, PaymentStatus, Span, Summary, continuous_months
from socialsec.eligibility import CardFacts, elderly_free_bus, provident_fund_withdrawal
from socialsec.models import (
    Account,
    AccountEntry,
    AccountEntryPublic,
    AccountPublic,
    CardEvent,
    CardPublic,
    ContributionRowPublic,
    ContributionSummaryPublic,
    Employer,
    PensionPayment,
    PensionPaymentPublic,
    ProfilePublic,
    RuleResultPublic,
)
from socialsec.public import (
    account_entry_public,
    card_public,
    contribution_row_public,
    pension_payment_public,
    profile_public,
    rule_public,
    summary_public,
)
from socialsec.rates import INSURANCES, Insurance
from socialsec.records import contributions
from socialsec.reference import divisions

ACCOUNT_NAMES: dict[Account, str] = {"pension": "养老保险个人账户", "medical": "医疗保险个人账户"}


def _towns() -> dict[str, str]:
    return {d.code: d.name for d in divisions()}


def profile(session: Session, me: Me) -> ProfilePublic:
    """The bound person's identity, status, employer and household facts."""
    person = me.bound.person
    employer = session.get(Employer, person.employer_id) if person.employer_id else None
    me.log_read(session, "profile")
    return profile_public(
        person=person,
        card=me.bound.card,
        employer=employer.name if employer else None,
        towns=_towns(),
        today=local_day(me.now),
    )


def _contributions(
    session: Session,
    me: Me,
    resource: str,
    *,
    region: str,
    period: Period,
    insurance: Insurance | None,
) -> tuple[list[MonthRow], Summary, list[Span]]:
    """The period's month rows, summary and spans of one insurance or all, the read logged."""
    result = contributions(
        session,
        person=me.bound.person,
        region=region,
        first=period.first,
        last=period.last,
        this_month=month_of(local_day(me.now)),
        insurances=(insurance,) if insurance else INSURANCES,
    )
    me.log_read(session, resource, f"{period.label} {insurance or '全部险种'}")
    return result


def contribution_rows(
    session: Session,
    me: Me,
    *,
    region: str,
    period: Period,
    page: PageParams,
    insurance: Insurance | None = None,
    status: PaymentStatus | None = None,
) -> Page[ContributionRowPublic]:
    """Each month and insurance of the period, newest first: base, both parts, paid or owed."""
    rows, _, _ = _contributions(
        session, me, "contributions", region=region, period=period, insurance=insurance
    )
    if status:
        rows = [r for r in rows if r.status == status]
    return Page(
        items=[contribution_row_public(r) for r in rows[page.offset : page.offset + page.limit]],
        total=len(rows),
    )


def contribution_summary(
    session: Session,
    me: Me,
    *,
    region: str,
    period: Period,
    insurance: Insurance | None = None,
) -> ContributionSummaryPublic:
    """Totals of the period, per insurance and overall, the gap months and the current streak."""
    _, summary, spans = _contributions(
        session,
        me,
        "contribution_summary",
        region=region,
        period=period,
        insurance=insurance,
    )
    return summary_public(
        summary,
        first=period.first,
        last=period.last,
        continuous_months=continuous_months(spans=spans, until=period.last),
    )


def accounts(session: Session, me: Me) -> Page[AccountPublic]:
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
                account=account,
                name=name,
                balance_fen=last.balance_fen if last else 0,
                as_of=last.posted_on if last else None,
            )
        )
    me.log_read(session, "accounts")
    return Page(items=items, total=len(items))


def account_entries(
    session: Session, me: Me, *, account: Account, page: PageParams
) -> Page[AccountEntryPublic]:
    """Postings to one of the bound person's accounts, newest first."""
    query = select(AccountEntry).where(
        AccountEntry.person_id == me.person_id, AccountEntry.account == account
    )
    found = paginate(
        session,
        query,
        page,
        order_by=(col(AccountEntry.posted_on).desc(), col(AccountEntry.id).desc()),
        public=lambda rows: [account_entry_public(r) for r in rows],
    )
    me.log_read(session, "account_entries", ACCOUNT_NAMES[account])
    return found


def card(session: Session, me: Me) -> CardPublic:
    """The card's status (正常/挂失/注销) and each card-making step reached so far."""
    mine = me.bound.card
    events = session.exec(
        select(CardEvent).where(CardEvent.card_id == mine.id).order_by(col(CardEvent.at))
    ).all()
    me.log_read(session, "card")
    return card_public(mine, events, _towns())


def pension_payments(session: Session, me: Me, *, page: PageParams) -> Page[PensionPaymentPublic]:
    """Monthly pensions paid to the bound retiree, newest first (none before retirement)."""
    query = select(PensionPayment).where(PensionPayment.person_id == me.person_id)
    found = paginate(
        session,
        query,
        page,
        order_by=col(PensionPayment.month).desc(),
        public=lambda rows: [pension_payment_public(r) for r in rows],
    )
    me.log_read(session, "pension_payments")
    return found


def eligibility(session: Session, me: Me, *, free_bus_age: int) -> Page[RuleResultPublic]:
    """The city's rules applied to the bound person: eligible or not, and every reason."""
    person, mine = me.bound.person, me.bound.card
    results = [
        provident_fund_withdrawal(
            card=CardFacts(
                status=mine.status,
                stage=mine.stage,
                bank=mine.bank,
                bank_account=mine.bank_account,
            )
        ),
        elderly_free_bus(
            birth_date=person.birth_date,
            on=local_day(me.now),
            household_dongguan=person.household_dongguan,
            residence_permit=person.residence_permit,
            age_threshold=free_bus_age,
        ),
    ]
    me.log_read(session, "eligibility")
    return Page(items=[rule_public(r) for r in results], total=len(results))
