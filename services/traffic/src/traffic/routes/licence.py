"""`/v1/me/licence`: the citizen's licence points, and study to reduce them (学法减分)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from sqlmodel import Session

from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.errors import NotFound
from servicekit.identity import CitizenDep
from traffic.access import ACCESS_LOG
from traffic.bindings import bound_licence
from traffic.licences import licence_standing, record_point_study
from traffic.models import DriverLicence, LicencePublic, PointStudyCreate, PointStudyPublic
from traffic.views import licence_public, point_study_public

router = APIRouter(prefix="/v1/me/licence", tags=["licence"])
NOT_BOUND = "您尚未绑定驾驶证，请先在“我的绑定”中用驾驶证号和档案编号绑定。"


@dataclass(frozen=True)
class LicenceCall:
    """What the citizen's licence routes work with: the session, the licence, the call's time."""

    session: Session
    licence: DriverLicence
    now: datetime

    @property
    def today(self) -> date:
        """The Asia/Shanghai day of the call, on which points and cycles are counted."""
        return local_day(self.now)


def my_licence(session: SessionDep, citizen: CitizenDep, now: NowDep) -> LicenceCall:
    """The calling citizen's bound licence, or 404."""
    licence = bound_licence(session, citizen_id=citizen.subject)
    if licence is None:
        raise NotFound(NOT_BOUND)
    return LicenceCall(session=session, licence=licence, now=now)


# The routes of this module and of review study (审验学习) all start from the bound licence.
MyLicenceDep = Annotated[LicenceCall, Depends(my_licence)]


def refused(reasons: str) -> dict[int | str, dict[str, Any]]:
    """The documented 409 of a route the licence's state can refuse, and its `reasons`."""
    return {status.HTTP_409_CONFLICT: {"description": reasons}}


@router.get(
    "",
    response_model=LicencePublic,
    summary="我的驾驶证记分",
    dependencies=[ACCESS_LOG.logs("licence")],
)
def get_my_licence(mine: MyLicenceDep) -> LicencePublic:
    """The current scoring cycle, points (with carried-over ones), lock and study eligibility."""
    return licence_public(licence_standing(mine.session, licence=mine.licence, on=mine.today))


@router.post(
    "/point-study",
    response_model=PointStudyPublic,
    status_code=status.HTTP_201_CREATED,
    summary="学法减分",
    responses=refused("不符合学法减分条件（满分、无记分、已达上限或被排除）"),
)
def study_to_reduce_points(body: PointStudyCreate, mine: MyLicenceDep) -> PointStudyPublic:
    """Record a completed study: online -1, on site -2, at most 6 per cycle, only under 12."""
    study, standing = record_point_study(
        mine.session, licence=mine.licence, kind=body.kind, on=mine.today
    )
    return point_study_public(study, standing)
