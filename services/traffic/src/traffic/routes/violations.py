"""Violations: the public lookup by plate and VIN suffix, the citizen's own, and handling them."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from servicekit.clock import NowDep, local_day
from servicekit.deps import Id, PageDep, PageParams, SessionDep
from servicekit.errors import NotFound
from servicekit.identity import CitizenDep
from traffic.bindings import bound_licence, bound_vehicle_ids
from traffic.handling import decide_violation
from traffic.licences import licence_standing
from traffic.models import DecisionCreated, ViolationPage, ViolationStatus
from traffic.records import ViolationRecord, find_vehicle, violation_records, violation_status
from traffic.routes.params import valid
from traffic.validators import validate_plate, validate_vin6
from traffic.views import decision_public, violation_public

router = APIRouter(prefix="/v1", tags=["violations"])

StatusQuery = Annotated[
    ViolationStatus | None,
    Query(alias="status", description="只看某一状态：unhandled | decided_unpaid | paid"),
]


def violation_page(
    records: list[ViolationRecord], *, page: PageParams, wanted: ViolationStatus | None, on: date
) -> ViolationPage:
    """One page of `records` (filtered by status) with the amount due over all of them."""
    items = [
        violation_public(r, on=on)
        for r in records
        if wanted is None or violation_status(decision=r.decision) == wanted
    ]
    return ViolationPage(
        items=items[page.offset : page.offset + page.limit],
        total=len(items),
        on=on,
        amount_due_fen=sum(i.amount_due_fen for i in items),
    )


@router.get(
    "/violations", response_model=ViolationPage, summary="机动车违法查询（号牌+车架号后六位）"
)
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
    vehicle = find_vehicle(session, plate=number, vin6=suffix)
    if vehicle is None or vehicle.id is None:
        raise NotFound("未查询到与该号牌号码和车架号后六位相符的机动车，请对照行驶证核对后重试。")
    records = violation_records(session, vehicle_ids=[vehicle.id])
    return violation_page(records, page=page, wanted=status_, on=local_day(now))


@router.get("/me/violations", response_model=ViolationPage, summary="我的交通违法")
def my_violations(
    citizen: CitizenDep,
    session: SessionDep,
    page: PageDep,
    now: NowDep,
    status_: StatusQuery = None,
) -> ViolationPage:
    """Violations of the citizen's bound vehicles and those charged to their bound licence."""
    licence = bound_licence(session, citizen_id=citizen.subject)
    records = violation_records(
        session,
        vehicle_ids=bound_vehicle_ids(session, citizen_id=citizen.subject),
        licence_id=None if licence is None else licence.id,
    )
    return violation_page(records, page=page, wanted=status_, on=local_day(now))


@router.post(
    "/me/violations/{violation_id}/decision",
    response_model=DecisionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="网上自助处理违法（生成处罚决定书）",
    responses={
        403: {"description": "记分超过网上处理范围"},
        404: {"description": "不是本人已绑定机动车的违法"},
        409: {"description": "已处理、未绑定驾驶证、驾驶证满分或处理后将满分"},
    },
)
def handle_violation(
    violation_id: Id, citizen: CitizenDep, session: SessionDep, now: NowDep, request: Request
) -> DecisionCreated:
    """Accept the penalty: a decision dated today, payable within 15 days, points to the licence."""
    today = local_day(now)
    record = decide_violation(
        session,
        citizen_id=citizen.subject,
        violation_id=violation_id,
        on=today,
        max_points=request.app.state.settings.online_handling_max_points,
    )
    licence = bound_licence(session, citizen_id=citizen.subject)
    assert licence is not None
    standing = licence_standing(session, licence=licence, on=today)
    return DecisionCreated(
        **decision_public(record, on=today).model_dump(), licence_points=standing.points
    )
