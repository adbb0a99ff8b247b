"""Violations: the public lookup by plate and VIN suffix, the citizen's own, and handling them."""

from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.clock import NowDep, local_day
from servicekit.deps import Id, PageDep, SessionDep
from servicekit.errors import valid
from servicekit.identity import CitizenDep
from traffic.access import ACCESS_LOG
from traffic.handling import handle_my_violation, my_violation_records
from traffic.models import DecisionCreated, ViolationPage, ViolationStatus
from traffic.records import vehicle_violation_records
from traffic.routes.creation import created
from traffic.settings import TrafficSettingsDep
from traffic.validators import validate_plate, validate_vin6
from traffic.views import decision_created_public, violation_page

router = APIRouter(prefix="/v1", tags=["violations"])
HANDLING_ERRORS = {
    403: "记分超过网上处理范围",
    404: "不是本人已绑定机动车的违法",
    409: "已处理、未绑定驾驶证、驾驶证满分或处理后将满分",
}

StatusQuery = Annotated[
    ViolationStatus | None,
    Query(alias="status", description="只看某一状态：unhandled | decided_unpaid | paid"),
]


@router.get("/violations", summary="机动车违法查询（号牌+车架号后六位）")
def lookup_violations(
    plate: Annotated[str, Query(max_length=16, description="号牌号码，如 粤S12345")],
    vin6: Annotated[str, Query(max_length=16, description="车架号后六位")],
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    status_: StatusQuery = None,
) -> ViolationPage:
    """A vehicle's violations of the last two years, newest first, as on the national app.

    A plate and VIN suffix that do not belong together answer 404 without saying whether the
    plate exists.
    """
    number = valid("plate", "query", lambda: validate_plate(plate=plate)).number
    suffix = valid("vin6", "query", lambda: validate_vin6(vin6=vin6))
    records = vehicle_violation_records(session, plate=number, vin6=suffix)
    return violation_page(records, page=page, wanted=status_, on=local_day(now))


@router.get("/me/violations", summary="我的交通违法", dependencies=[ACCESS_LOG.logs("violations")])
def my_violations(
    citizen: CitizenDep,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    status_: StatusQuery = None,
) -> ViolationPage:
    """Violations of the citizen's bound vehicles and those charged to their bound licence."""
    records = my_violation_records(session, citizen_id=citizen.subject)
    return violation_page(records, page=page, wanted=status_, on=local_day(now))


@created(
    router,
    "/me/violations/{violation_id}/decision",
    summary="网上自助处理违法（生成处罚决定书）",
    errors=HANDLING_ERRORS,
)
def handle_violation(
    violation_id: Id,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    settings: TrafficSettingsDep,
) -> DecisionCreated:
    """Accept the penalty: a decision dated today, payable within 15 days, points to the licence."""
    today = local_day(now)
    record, standing = handle_my_violation(
        session,
        citizen_id=citizen.subject,
        violation_id=violation_id,
        on=today,
        max_points=settings.online_handling_max_points,
    )
    return decision_created_public(record, standing, on=today)
