"""Public lookups of the equipment registry: by registration code or certificate number, and the
card riders see in a lift.

"Overdue" is a question about equipment in use: past its next due date, or still registered in
use after a failed inspection. Suspended and scrapped equipment is never overdue.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from inspection.codes import validate_certificate_number, validate_registration_code
from inspection.models import Equipment, EquipmentPublic, LiftCard, UserUnit
from inspection.towns import town_names
from inspection.varieties import BY_CODE
from servicekit.errors import NotFound, valid

# 电梯应急救援 (lift emergency rescue): the national number, answered in Dongguan too.
LIFT_EMERGENCY_PHONE = "96333"
NOT_REGISTERED = "未找到该设备，请核对后再试；设备信息以使用登记证为准。"
# The public view's fields shown as stored; the rest are read from the variety and the unit.
AS_STORED = {
    "registration_code",
    "certificate_number",
    "address",
    "status",
    "last_inspection",
    "conclusion",
    "safety_level",
    "next_due",
}
ON_THE_CARD = {"registration_code", "variety", "user_unit", "address", "next_due"}


def is_overdue(*, equipment: Equipment, today: date) -> bool:
    """In use and past its next due date, or in use without one after a failed inspection."""
    if equipment.status != "在用":
        return False
    if equipment.next_due is None:
        return equipment.last_inspection is not None
    return equipment.next_due < today


def equipment_public(*, equipment: Equipment, unit: UserUnit, today: date) -> EquipmentPublic:
    """The public view of a piece of equipment on `today`."""
    variety = BY_CODE[equipment.variety_code]
    return EquipmentPublic(
        **equipment.model_dump(include=AS_STORED),
        category=variety.category,
        variety=variety.name,
        user_unit=unit.name,
        town=town_names().get(equipment.town, equipment.town),
        overdue=is_overdue(equipment=equipment, today=today),
    )


def _found(session: Session, *, where: object) -> tuple[Equipment, UserUnit]:
    """The equipment matching `where` with its user unit, or a 404."""
    row = session.exec(
        select(Equipment, UserUnit)
        .join(UserUnit, Equipment.user_unit_code == UserUnit.credit_code)  # type: ignore[arg-type]
        .where(where)  # type: ignore[arg-type]
    ).first()
    if row is None:
        raise NotFound(NOT_REGISTERED)
    return row[0], row[1]


def by_registration_code(*, session: Session, code: str, today: date) -> EquipmentPublic:
    """The equipment of a registration code (422 naming `registration_code` when malformed)."""
    value = valid(
        "registration_code", "path", lambda: validate_registration_code(code=code, today=today)
    )
    equipment, unit = _found(session, where=Equipment.registration_code == value)
    return equipment_public(equipment=equipment, unit=unit, today=today)


def by_certificate(*, session: Session, number: str, today: date) -> EquipmentPublic:
    """The equipment of a certificate number (422 naming `certificate` when malformed)."""
    value = valid("certificate", "query", lambda: validate_certificate_number(number=number))
    equipment, unit = _found(session, where=Equipment.certificate_number == value)
    return equipment_public(equipment=equipment, unit=unit, today=today)


def lift_notice(*, view: EquipmentPublic) -> str:
    """The line riders read: usable until a date, or why not to ride."""
    if view.status != "在用":
        return f"本电梯已{view.status}，请勿乘用。"
    if view.next_due is None or view.overdue:
        return "本电梯未在检验有效期内，请勿乘用，并可拨打12315反映。"
    return f"本电梯检验合格，下次检验日期 {view.next_due:%Y年%m月%d日}。"


def lift_card(*, session: Session, code: str, today: date) -> LiftCard:
    """The card in a lift's car; equipment other than lifts has none (404)."""
    view = by_registration_code(session=session, code=code, today=today)
    if view.category != "电梯":
        raise NotFound("该设备不是电梯或自动扶梯，没有乘梯须知卡。")
    return LiftCard(
        **view.model_dump(include=ON_THE_CARD),
        usable=view.status == "在用" and view.next_due is not None and not view.overdue,
        notice=lift_notice(view=view),
        emergency_phone=LIFT_EMERGENCY_PHONE,
    )
