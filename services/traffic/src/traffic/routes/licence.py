"""`/v1/me/licence`: the citizen's licence points, and study to reduce them (学法减分)."""

from fastapi import APIRouter, status

from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.errors import NotFound
from servicekit.identity import CitizenDep
from traffic.bindings import bound_licence
from traffic.licences import licence_standing, record_point_study
from traffic.models import DriverLicence, LicencePublic, PointStudyCreate, PointStudyPublic
from traffic.views import licence_public, point_study_public

router = APIRouter(prefix="/v1/me/licence", tags=["licence"])


def my_licence(session: SessionDep, citizen: CitizenDep) -> DriverLicence:
    """The calling citizen's bound licence, or 404."""
    licence = bound_licence(session, citizen_id=citizen.subject)
    if licence is None:
        raise NotFound("您尚未绑定驾驶证，请先在“我的绑定”中用驾驶证号和档案编号绑定。")
    return licence


@router.get("", response_model=LicencePublic, summary="我的驾驶证记分")
def get_my_licence(citizen: CitizenDep, session: SessionDep, now: NowDep) -> LicencePublic:
    """The current scoring cycle, points (with carried-over ones), lock and study eligibility."""
    licence = my_licence(session, citizen)
    return licence_public(licence_standing(session, licence=licence, on=local_day(now)))


@router.post(
    "/point-study",
    response_model=PointStudyPublic,
    status_code=status.HTTP_201_CREATED,
    summary="学法减分",
    responses={409: {"description": "不符合学法减分条件（满分、无记分、已达上限或被排除）"}},
)
def study_to_reduce_points(
    body: PointStudyCreate, citizen: CitizenDep, session: SessionDep, now: NowDep
) -> PointStudyPublic:
    """Record a completed study: online -1, on site -2, at most 6 per cycle, only under 12."""
    licence = my_licence(session, citizen)
    study, standing = record_point_study(
        session, licence=licence, kind=body.kind, on=local_day(now)
    )
    return point_study_public(study, standing)
