"""Bindings: `/v1/me/bindings` for citizens, and the consent-withdrawal contract (DESIGN §6)."""

from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import Field

from servicekit.bindings import Attempt
from servicekit.clock import NowDep
from servicekit.deps import Page, PageDep, SessionDep
from servicekit.errors import valid
from servicekit.identity import CitizenDep
from traffic.access import ACCESS_LOG
from traffic.bindings import BINDINGS, bind_licence, bind_vehicle, bound_items
from traffic.models import BindingPublic, LicenceBindingCreate, VehicleBindingCreate
from traffic.routes.creation import created
from traffic.settings import TrafficSettingsDep
from traffic.validators import (
    validate_file_number,
    validate_licence_number,
    validate_plate,
    validate_vin6,
)
from traffic.views import binding_public

router = APIRouter(prefix="/v1/me/bindings", tags=["bindings"])
# The consent-withdrawal contract: accounts deletes a citizen's bindings here.
internal_router = BINDINGS.internal_router()

BindingCreate = Annotated[VehicleBindingCreate | LicenceBindingCreate, Field(discriminator="kind")]
BINDING_ERRORS = {
    409: "已绑定",
    422: "格式错误，或核验未通过（不指明哪一项不符）",
    429: "核验失败次数过多，见 Retry-After",
}


@router.get("", summary="我绑定的机动车和驾驶证", dependencies=[ACCESS_LOG.logs("bindings")])
def list_bindings(citizen: CitizenDep, session: SessionDep, page: PageDep) -> Page[BindingPublic]:
    """The calling citizen's bound vehicles and licence, oldest first."""
    items = bound_items(session, citizen_id=citizen.subject)
    return Page(
        items=[binding_public(i) for i in items[page.offset : page.offset + page.limit]],
        total=len(items),
    )


@created(router, "", summary="绑定机动车或驾驶证", errors=BINDING_ERRORS)
def create_binding(
    body: Annotated[BindingCreate, Body()],
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    settings: TrafficSettingsDep,
) -> BindingPublic:
    """Bind a vehicle (plate + last six of the VIN) or a licence (number + file number)."""
    attempt = Attempt(citizen.subject, now, settings.binding_throttle)
    if isinstance(body, VehicleBindingCreate):
        plate = valid("plate", "body", lambda: validate_plate(plate=body.plate))
        item = bind_vehicle(
            session,
            attempt,
            plate=plate.number,
            vin6=valid("vin6", "body", lambda: validate_vin6(vin6=body.vin6)),
        )
    else:
        item = bind_licence(
            session,
            attempt,
            licence_number=valid(
                "licence_number",
                "body",
                lambda: validate_licence_number(number=body.licence_number),
            ),
            file_number=valid(
                "file_number", "body", lambda: validate_file_number(number=body.file_number)
            ),
        )
    return binding_public(item)


BINDINGS.add_removal_route(router, summary="解除一项绑定")
