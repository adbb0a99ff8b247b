"""Every mapping of socialsec's rows and domain results to the API's `*Public` models.

Personal identifiers are passed in full: the `Masked*` types of the public models mask them
when the model is serialised (socialsec.masking).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime

from servicekit.clock import as_utc, local
from servicekit.verification import grouped
from socialsec.accounts import KIND_TEXT
from socialsec.clock import age_on, month_label
from socialsec.contributions import MonthRow, Summary, Totals
from socialsec.eligibility import RULE_TITLES, STAGE_TEXT, STATUS_TEXT, RuleResult, descriptions
from socialsec.models import (
    AccountEntry,
    AccountEntryPublic,
    CardEvent,
    CardEventPublic,
    CardPublic,
    Certificate,
    CertificateCheck,
    ContributionRate,
    ContributionRatePublic,
    ContributionRowPublic,
    ContributionSummaryPublic,
    InsuranceTotalsPublic,
    InsuredPerson,
    PensionPayment,
    PensionPaymentPublic,
    ProfilePublic,
    RulePublic,
    RuleResultPublic,
    SocialCard,
    TotalsPublic,
)
from socialsec.rates import INSURANCE_NAMES, INSURANCES
from socialsec.records import STATUS_TEXT as PERSON_STATUS_TEXT

PAYMENT_STATUS_TEXT = {"paid": "已缴", "owed": "欠缴"}


def profile_public(
    *,
    person: InsuredPerson,
    card: SocialCard,
    employer: str | None,
    towns: Mapping[str, str],
    today: date,
) -> ProfilePublic:
    """A person's identity (masked when serialised), status, employer and household facts."""
    return ProfilePublic(
        name=person.name,
        id_number=person.id_number,
        card_number=card.card_number,
        gender="男" if person.gender == "M" else "女",
        age=age_on(birth=person.birth_date, day=today),
        status=person.status,
        status_text=PERSON_STATUS_TEXT[person.status],
        insured_since=month_label(person.insured_since),
        employer=employer,
        town_name=towns.get(person.town, person.town),
        household="东莞户籍" if person.household_dongguan else "非东莞户籍",
        residence_permit=person.residence_permit,
    )


def contribution_row_public(row: MonthRow) -> ContributionRowPublic:
    """One month of one insurance."""
    return ContributionRowPublic(
        **{**asdict(row), "month": month_label(row.month)},
        insurance_name=INSURANCE_NAMES[row.insurance],
        total_fen=row.total_fen,
        status_text=PAYMENT_STATUS_TEXT[row.status],
    )


def totals_public(totals: Totals) -> TotalsPublic:
    """Sums over month rows."""
    return TotalsPublic(**asdict(totals), total_fen=totals.total_fen)


def summary_public(
    summary: Summary, *, first: date, last: date, continuous_months: int
) -> ContributionSummaryPublic:
    """Totals of a period, per insurance and overall, with its gap months and current streak."""
    return ContributionSummaryPublic(
        from_month=month_label(first),
        to_month=month_label(last),
        totals=totals_public(summary.overall),
        by_insurance=[
            InsuranceTotalsPublic(
                insurance=name,
                insurance_name=INSURANCE_NAMES[name],
                **totals_public(summary.by_insurance[name]).model_dump(),
            )
            for name in INSURANCES
            if name in summary.by_insurance
        ],
        gap_months=[month_label(m) for m in summary.gaps],
        continuous_months=continuous_months,
    )


def account_entry_public(entry: AccountEntry) -> AccountEntryPublic:
    """A posting to an individual account."""
    return AccountEntryPublic(
        posted_on=entry.posted_on,
        kind=entry.kind,
        kind_text=KIND_TEXT[entry.kind],
        amount_fen=entry.amount_fen,
        balance_fen=entry.balance_fen,
        note=entry.note,
    )


def card_public(
    card: SocialCard, events: Sequence[CardEvent], towns: Mapping[str, str]
) -> CardPublic:
    """A card (numbers masked when serialised) with each card-making step reached so far."""
    return CardPublic(
        card_number=card.card_number,
        status=card.status,
        status_text=STATUS_TEXT[card.status],
        stage=card.stage,
        stage_text=STAGE_TEXT[card.stage],
        bank=card.bank,
        bank_account=card.bank_account,
        pickup_office=f"{towns.get(card.pickup_office, card.pickup_office)}社保分局",
        progress=[
            CardEventPublic(
                stage=e.stage, stage_text=STAGE_TEXT[e.stage], at=local(e.at), note=e.note
            )
            for e in events
        ],
    )


def pension_payment_public(payment: PensionPayment) -> PensionPaymentPublic:
    """One month's pension."""
    return PensionPaymentPublic(
        month=month_label(payment.month), amount_fen=payment.amount_fen, paid_on=payment.paid_on
    )


def rule_public(result: RuleResult) -> RuleResultPublic:
    """A rule's verdict with every condition it checked."""
    return RuleResultPublic.model_validate(asdict(result))


def rules_public(*, free_bus_age: int) -> list[RulePublic]:
    """The rules this service explains, with their conditions in plain Chinese."""
    texts = descriptions(free_bus_age=free_bus_age)
    return [RulePublic(rule=r, title=RULE_TITLES[r], description=texts[r]) for r in texts]


def rate_public(rate: ContributionRate) -> ContributionRatePublic:
    """A rate row with its insurance's name and the rates in percent."""
    return ContributionRatePublic(
        **rate.model_dump(),
        insurance_name=INSURANCE_NAMES[rate.insurance],
        employer_pct=rate.employer_bp / 100,
        employee_pct=rate.employee_bp / 100,
    )


def certificate_check_public(cert: Certificate, *, now: datetime) -> CertificateCheck:
    """Whether a certificate is still valid, with the masked summary kept with it."""
    still_valid = as_utc(cert.valid_until) > now
    return CertificateCheck(
        code=grouped(cert.code),
        valid=still_valid,
        validity_text=(
            f"有效：该证明由东莞市社会保险基金管理中心出具，有效期至{local(cert.valid_until):%Y-%m-%d}。"
            if still_valid
            else f"已过期：该证明已于{local(cert.valid_until):%Y-%m-%d}失效，请重新开具。"
        ),
        issued_at=local(cert.issued_at),
        valid_until=local(cert.valid_until),
        holder_name=cert.holder_name,
        id_number=cert.id_number,
        from_month=month_label(cert.first_month),
        to_month=month_label(cert.last_month),
        summary=cert.summary,
    )
