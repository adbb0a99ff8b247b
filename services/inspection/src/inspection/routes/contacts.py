"""`/v1/me/units`: a citizen becomes a contact of a user unit, lists and leaves their units, and
reads a unit's equipment; and the consent-withdrawal contract (DESIGN §6)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlmodel import col

from inspection.access import ACCESS_LOG
from inspection.codes import validate_certificate_number, validate_credit_code
from inspection.contacts import CONTACTS, bind, require_contact, units_query
from inspection.models import (
    Contact,
    ContactCreate,
    ContactPublic,
    EquipmentPublic,
    UserUnit,
)
from inspection.settings import InspectionSettingsDep
from inspection.towns import town_names
from inspection.unit_equipment import MAX_DUE_WITHIN_DAYS, equipment_page
from servicekit.bindings import Attempt
from servicekit.clock import NowDep, local, local_day
from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.errors import valid
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me/units", tags=["contacts"])
# The consent-withdrawal contract: accounts deletes a citizen's bindings here.
internal_router = CONTACTS.internal_router()
CreditCode = Annotated[
    str, Path(min_length=1, max_length=32, description="使用单位的统一社会信用代码")
]


def _public(contact: Contact, unit: UserUnit) -> ContactPublic:
    assert contact.id is not None
    return ContactPublic(
        id=contact.id,
        credit_code=unit.credit_code,
        unit_name=unit.name,
        town=town_names().get(unit.town, unit.town),
        created_at=local(contact.created_at),
    )


@router.get(
    "",
    response_model=Page[ContactPublic],
    summary="我作为联系人的使用单位",
    dependencies=[ACCESS_LOG.logs("units")],
)
def list_units(citizen: CitizenDep, session: SessionDep, page: PageDep) -> Page[ContactPublic]:
    """The units the caller is a contact of, oldest binding first."""
    return paginate(
        session,
        units_query(citizen_id=citizen.subject),
        page,
        order_by=col(Contact.id),
        public=lambda rows: [_public(contact, unit) for contact, unit in rows],
    )


@router.post(
    "",
    response_model=ContactPublic,
    status_code=status.HTTP_201_CREATED,
    summary="绑定使用单位（统一社会信用代码 + 单位全称 + 使用登记证编号）",
    responses={
        409: {"description": "已是该单位的联系人"},
        422: {"description": "格式错误，或核验未通过（不指明哪一项不符）"},
        429: {"description": "核验失败次数过多，见 Retry-After"},
    },
)
def create_unit_binding(
    body: ContactCreate,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    settings: InspectionSettingsDep,
) -> ContactPublic:
    """Become a contact of a unit: the codes are format-checked first, then all three parts must
    match the registry."""
    contact, unit = bind(
        session,
        Attempt(citizen.subject, now, settings.binding_throttle),
        credit_code=valid(
            "credit_code", "body", lambda: validate_credit_code(code=body.credit_code)
        ),
        unit_name=body.unit_name,
        certificate=valid(
            "certificate_number",
            "body",
            lambda: validate_certificate_number(number=body.certificate_number),
        ),
    )
    return _public(contact, unit)


@router.get(
    "/{credit_code}/equipment",
    response_model=Page[EquipmentPublic],
    summary="本单位的在册设备及检验状态",
    dependencies=[ACCESS_LOG.logs("unit_equipment")],
    responses={404: {"description": "不是该单位的联系人（与单位不存在相同）"}},
)
def unit_equipment(
    credit_code: CreditCode,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    page: PageDep,
    due_within_days: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_DUE_WITHIN_DAYS,
            description="只列出在用且N天内到期或已超期的设备（0 表示今天到期或已超期）",
        ),
    ] = None,
) -> Page[EquipmentPublic]:
    """The unit's equipment by next due date, for its contacts only."""
    code = valid("credit_code", "path", lambda: validate_credit_code(code=credit_code))
    require_contact(session, citizen_id=citizen.subject, unit_code=code)
    unit = session.get(UserUnit, code)
    assert unit is not None  # a contact's unit exists: the binding references it
    return equipment_page(
        session, unit=unit, today=local_day(now), page=page, within_days=due_within_days
    )


CONTACTS.add_removal_route(router, summary="解除与使用单位的绑定")
