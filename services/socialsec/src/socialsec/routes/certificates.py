"""Certificates of insurance: issued to the bound citizen as a PDF, checked by anyone by code."""

from __future__ import annotations

from fastapi import APIRouter, Response

from servicekit.clock import NowDep
from servicekit.deps import SessionDep
from servicekit.errors import valid
from servicekit.verification import validate_code
from socialsec import certifying
from socialsec.models import CertificateCheck
from socialsec.routes.params import MeDep, PeriodDep
from socialsec.settings import SocialsecSettingsDep

router = APIRouter(tags=["certificates"])


@router.get(
    "/v1/me/certificate.pdf",
    response_class=Response,
    summary="开具参保证明（PDF）",
    responses={200: {"content": {"application/pdf": {}}, "description": "参保证明 PDF"}},
)
def issue_certificate(
    me: MeDep, period: PeriodDep, session: SessionDep, settings: SocialsecSettingsDep
) -> Response:
    """A certificate of the period's contributions with masked identity and a verification code."""
    issued = certifying.issue(
        session,
        me,
        region=settings.region,
        period=period,
        valid_days=settings.certificate_valid_days,
    )
    return Response(
        issued.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{issued.code}.pdf"',
            "X-Certificate-Code": issued.code,
        },
    )


@router.get(
    "/v1/certificates/{code}", response_model=CertificateCheck, summary="核验参保证明（公开）"
)
def check_certificate(code: str, session: SessionDep, now: NowDep) -> CertificateCheck:
    """Whether a certificate with this code was issued and is still valid; its masked summary."""
    value = valid("code", "path", lambda: validate_code(code=code, document="证明"))
    return certifying.check(session, value, now=now)
