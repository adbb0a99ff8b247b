"""`/v1/equipment`: public lookups of the registry by registration code or certificate number,
and a lift's card (no sign-in: the registration is printed on the equipment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from inspection import registry
from inspection.models import EquipmentPublic, LiftCard
from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.http_cache import LIVE_MAX_AGE, NOT_MODIFIED, public_cache

router = APIRouter(prefix="/v1/equipment", tags=["equipment"])
# Public lookups: a registration is printed on the equipment, nothing personal is answered.
LIVE = public_cache(LIVE_MAX_AGE)
RegistrationCode = Annotated[
    str, Path(max_length=32, description="注册代码（20位数字），见设备上的使用标志")
]


@router.get(
    "",
    response_model=EquipmentPublic,
    operation_id="findEquipmentByCertificate",
    summary="按使用登记证编号查询设备",
    dependencies=[LIVE],
    responses=NOT_MODIFIED,
)
def by_certificate(
    session: SessionDep,
    now: NowDep,
    certificate: Annotated[
        str, Query(min_length=1, max_length=32, description="使用登记证编号，如 梯11粤S00001(15)")
    ],
) -> EquipmentPublic:
    """The equipment of a use-registration certificate number."""
    return registry.by_certificate(session=session, number=certificate, today=local_day(now))


@router.get(
    "/{registration_code}",
    response_model=EquipmentPublic,
    operation_id="getEquipment",
    summary="按注册代码查询设备",
    dependencies=[LIVE],
    responses=NOT_MODIFIED,
)
def by_registration_code(
    session: SessionDep, now: NowDep, registration_code: RegistrationCode
) -> EquipmentPublic:
    """Category, user unit, town, last conclusion, next due date and whether it is overdue."""
    return registry.by_registration_code(
        session=session, code=registration_code, today=local_day(now)
    )


@router.get(
    "/{registration_code}/lift-card",
    response_model=LiftCard,
    summary="电梯乘梯须知卡",
    dependencies=[LIVE],
    responses=NOT_MODIFIED,
)
def lift_card(session: SessionDep, now: NowDep, registration_code: RegistrationCode) -> LiftCard:
    """What riders see: the user unit, the next due date and the 96333 emergency number."""
    return registry.lift_card(session=session, code=registration_code, today=local_day(now))
