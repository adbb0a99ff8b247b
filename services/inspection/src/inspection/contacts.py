"""Contacts of user units (使用单位联系人): a signed-in citizen proves they act for a company
before applying for and following its inspections.

The proof is the unit's unified social credit code, its full name and the use-registration
certificate number of one piece of equipment it uses (printed on the certificate kept by the
equipment, so someone who works there has it to hand). A refused proof never says which part was
wrong, and refusals are throttled per citizen (servicekit.bindings). A unit may have several
contacts and a citizen several units; a contact of one unit sees nothing of another.
"""

from __future__ import annotations

import logging
import re

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from inspection.models import BindingFailure, Contact, Equipment, UserUnit
from servicekit.bindings import Attempt, BindingTables
from servicekit.db import save_or_conflict
from servicekit.errors import Conflict, NotFound

log = logging.getLogger("inspection.contacts")
CONTACTS = BindingTables(Contact, BindingFailure, log=log)
PROOF_FIELDS = ["credit_code", "unit_name", "certificate_number"]
REFUSED = (
    "统一社会信用代码、单位全称与使用登记证编号核验未通过，"
    "请对照营业执照和设备的使用登记证核对后重试。"
)
NOT_BOUND = (
    "您尚未绑定该使用单位。请先在政务App中登录后绑定：提交单位的统一社会信用代码、单位全称"
    "和该单位一台在用设备的使用登记证编号（POST /api/v1/inspection/me/units）。"
)
NOT_BOUND_TYPE = "urn:guanwei:problem:inspection-not-bound"
ALREADY_BOUND = "您已是该使用单位的联系人，无需重复绑定。"
# Equipment still on the unit's books: a scrapped item's certificate is cancelled (注销).
IN_USE_STATUSES = ("在用", "停用")


def name_key(name: str) -> str:
    """A company name as compared: without spaces, brackets in their full-width form."""
    return re.sub(r"\s", "", name).replace("(", "（").replace(")", "）")


def proves(*, unit: UserUnit | None, unit_name: str, equipment: Equipment | None) -> bool:
    """Whether the registry's unit and the equipment of the given certificate prove the claim:
    the unit exists, its name is the one given, and the equipment is its own and not scrapped."""
    return (
        unit is not None
        and equipment is not None
        and name_key(unit.name) == name_key(unit_name)
        and equipment.user_unit_code == unit.credit_code
        and equipment.status in IN_USE_STATUSES
    )


def bind(
    session: Session, attempt: Attempt, *, credit_code: str, unit_name: str, certificate: str
) -> tuple[Contact, UserUnit]:
    """Make the citizen a contact of the unit the proof names; codes are validated already."""
    CONTACTS.check_throttle(session, attempt)
    unit = session.get(UserUnit, credit_code)
    equipment = session.exec(
        select(Equipment).where(Equipment.certificate_number == certificate)
    ).first()
    if unit is None or not proves(unit=unit, unit_name=unit_name, equipment=equipment):
        raise CONTACTS.refuse(session, attempt, detail=REFUSED, fields=PROOF_FIELDS)
    if contact_of(session, citizen_id=attempt.citizen_id, unit_code=credit_code) is not None:
        raise Conflict(ALREADY_BOUND)
    contact = save_or_conflict(
        session,
        Contact(citizen_id=attempt.citizen_id, unit_code=credit_code, created_at=attempt.now),
        conflict=ALREADY_BOUND,
    )
    log.info("contact bound", extra={"citizen_id": attempt.citizen_id, "binding_id": contact.id})
    return contact, unit


def contact_of(session: Session, *, citizen_id: str, unit_code: str) -> Contact | None:
    """The citizen's binding to the unit, if any."""
    return session.exec(
        select(Contact).where(Contact.citizen_id == citizen_id, Contact.unit_code == unit_code)
    ).first()


def require_contact(session: Session, *, citizen_id: str, unit_code: str) -> Contact:
    """The citizen's binding to the unit; a 404 alike for a unit that does not exist and for one
    the citizen is not a contact of."""
    contact = contact_of(session, citizen_id=citizen_id, unit_code=unit_code)
    if contact is None:
        raise NotFound(NOT_BOUND, type_=NOT_BOUND_TYPE)
    return contact


def unit_codes_of(session: Session, *, citizen_id: str) -> list[str]:
    """The credit codes of the units the citizen is a contact of, sorted."""
    return list(
        session.exec(
            select(Contact.unit_code)
            .where(Contact.citizen_id == citizen_id)
            .order_by(col(Contact.unit_code))
        ).all()
    )


def units_query(*, citizen_id: str) -> Select[tuple[Contact, UserUnit]]:
    """The citizen's bindings joined with their units (order it before running)."""
    return (
        select(Contact, UserUnit)
        .join(UserUnit, col(UserUnit.credit_code) == Contact.unit_code)
        .where(Contact.citizen_id == citizen_id)
    )


def units_of(session: Session, *, citizen_id: str) -> list[tuple[Contact, UserUnit]]:
    """The citizen's bindings with their units, oldest binding first."""
    rows = session.exec(units_query(citizen_id=citizen_id).order_by(col(Contact.id))).all()
    return [(contact, unit) for contact, unit in rows]
