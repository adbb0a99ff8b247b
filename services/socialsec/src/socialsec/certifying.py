"""Issuing a certificate of insurance to the bound citizen, and checking one by its code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from servicekit.clock import local, local_day
from servicekit.errors import NotFound
from servicekit.verification import new_code
from socialsec.access import Me
from socialsec.certificates import CertificateText, public_summary, render_pdf
from socialsec.clock import Period, month_of
from socialsec.masking import mask_card_number, mask_id_number, mask_name
from socialsec.models import Certificate, CertificateCheck
from socialsec.public import certificate_check_public
from socialsec.records import STATUS_TEXT, contributions


@dataclass(frozen=True)
class Issued:
    """A certificate just issued: its verification code and its PDF."""

    code: str
    pdf: bytes


def issue(session: Session, me: Me, *, region: str, period: Period, valid_days: int) -> Issued:
    """A certificate of the period's contributions with masked identity and a verification code,
    kept (masked) for checking and written to the access log."""
    person, card = me.bound.person, me.bound.card
    _, summary, _ = contributions(
        session,
        person=person,
        region=region,
        first=period.first,
        last=period.last,
        this_month=month_of(local_day(me.now)),
    )
    issued_at = me.now
    valid_until = issued_at + timedelta(days=valid_days)
    text = CertificateText(
        code=new_code(),
        holder_name=mask_name(person.name),
        id_number=mask_id_number(person.id_number),
        card_number=mask_card_number(card.card_number),
        status_text=STATUS_TEXT[person.status],
        first=period.first,
        last=period.last,
        issued_at=local(issued_at),
        valid_until=local(valid_until),
        summary=summary,
    )
    pdf = render_pdf(text)
    session.add(
        Certificate(
            code=text.code,
            person_id=me.person_id,
            first_month=period.first,
            last_month=period.last,
            issued_at=issued_at,
            valid_until=valid_until,
            holder_name=text.holder_name,
            id_number=text.id_number,
            summary=public_summary(summary),
        )
    )
    me.log_read(session, "certificate", period.label)
    return Issued(text.code, pdf)


def check(session: Session, code: str, *, now: datetime) -> CertificateCheck:
    """Whether a certificate with this (valid-format) code was issued and is still valid."""
    cert = session.get(Certificate, code)
    if cert is None:
        raise NotFound("未找到该验证码对应的参保证明，请核对验证码；证明可能是伪造或被涂改的。")
    return certificate_check_public(cert, now=now)
