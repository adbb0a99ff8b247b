"""`/v1/me/summary`: traffic's part of the citizen's home screen in one read (the gateway's
`/api/v1/me/overview` reads every service at once): the violations of their bound vehicles and
licence with the amount due today, and their licence's points."""

from fastapi import APIRouter
from pydantic import Field
from sqlmodel import SQLModel

from servicekit.clock import NowDep, local_day
from servicekit.deps import PageDep, SessionDep
from servicekit.identity import CitizenDep
from traffic.access import ACCESS_LOG
from traffic.bindings import bound_licence
from traffic.handling import my_violation_records
from traffic.licences import licence_standing
from traffic.models import LicencePublic, ViolationPage
from traffic.routes.licence import NOT_BOUND
from traffic.views import licence_public, violation_page

router = APIRouter(prefix="/v1/me", tags=["violations"])


class TrafficSummary(SQLModel):
    """A citizen's violations (newest first, one page) and licence standing."""

    violations: ViolationPage
    licence: LicencePublic | None = Field(description="驾驶证记分；未绑定驾驶证时为空")
    licence_detail: str | None = Field(default=None, description="驾驶证为空的原因")


@router.get(
    "/summary",
    summary="我的交通概览：违法应缴与驾驶证记分",
    dependencies=[ACCESS_LOG.logs("violations"), ACCESS_LOG.logs("licence")],
)
def my_summary(
    citizen: CitizenDep, session: SessionDep, page: PageDep, now: NowDep
) -> TrafficSummary:
    """`/v1/me/violations` and `/v1/me/licence` in one answer (no licence: null, and why)."""
    today = local_day(now)
    records = my_violation_records(session, citizen_id=citizen.subject)
    licence = bound_licence(session, citizen_id=citizen.subject)
    standing = None if licence is None else licence_standing(session, licence=licence, on=today)
    return TrafficSummary(
        violations=violation_page(records, page=page, wanted=None, on=today),
        licence=None if standing is None else licence_public(standing),
        licence_detail=NOT_BOUND if standing is None else None,
    )
