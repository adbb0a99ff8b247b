"""Certificates of insurance: issued to the bound citizen as a PDF, checked by anyone by code."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from servicekit.clock import NowDep, as_utc, local, local_day
from servicekit.deps import SessionDep
from servicekit.errors import NotFound
from socialsec.certificates import (
    CertificateText,
    grouped,
    new_code,
    public_summary,
    render_pdf,
)
from socialsec.clock import month_label, month_of
from socialsec.masking import mask_card_number, mask_id_number, mask_name
from socialsec.models import Certificate, CertificateCheck
from socialsec.records import STATUS_TEXT, contributions
from socialsec.routes.params import MeDep, PeriodDep, valid
from socialsec.validators import validate_certificate_code

router = APIRouter(tags=["certificates"])


@router.get(
    "/v1/me/certificate.pdf",
    response_class=Response,
    summary="开具参保证明（PDF）",
    responses={200: {"content": {"application/pdf": {}}, "description": "参保证明 PDF"}},
)
def issue_certificate(
    me: MeDep, period: PeriodDep, session: SessionDep, request: Request
) -> Response:
    """A certificate of the period's contributions with masked identity and a verification code."""
    person, card = me.bound.person, me.bound.card
    _, summary, _ = contributions(
        session,
        person=person,
        region=request.app.state.settings.region,
        first=period.first,
        last=period.last,
        this_month=month_of(local_day(me.now)),
    )
    issued_at = me.now
    valid_until = issued_at + timedelta(days=request.app.state.settings.certificate_valid_days)
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
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{text.code}.pdf"',
            "X-Certificate-Code": text.code,
        },
    )


@router.get(
    "/v1/certificates/{code}", response_model=CertificateCheck, summary="核验参保证明（公开）"
)
def check_certificate(code: str, session: SessionDep, now: NowDep) -> CertificateCheck:
    """Whether a certificate with this code was issued and is still valid; its masked summary."""
    value = valid("code", "path", lambda: validate_certificate_code(code=code))
    cert = session.get(Certificate, value)
    if cert is None:
        raise NotFound("未找到该验证码对应的参保证明，请核对验证码；证明可能是伪造或被涂改的。")
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
