"""Bindings: a citizen proves who they are before seeing their social-security records.

The proof is name + resident ID number + social-security card number (DESIGN §6). A refused
proof never says which part was wrong, and refusals are throttled per citizen
(servicekit.bindings). A citizen binds one record, and a record one citizen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session, col, select

from servicekit.bindings import Attempt, BindingTables
from servicekit.db import save_or_conflict
from servicekit.errors import Conflict, NotFound
from socialsec.models import Binding, BindingFailure, InsuredPerson, SocialCard

log = logging.getLogger("socialsec.bindings")
BINDINGS = BindingTables(Binding, BindingFailure, log=log)
REFUSED = "姓名、身份证号码与社保卡号核验未通过，请对照社保卡核对后重试。"
NOT_BOUND = (
    "您尚未绑定社保信息。请先在政务App中登录后绑定：提交姓名、身份证号码和社保卡号"
    "（POST /api/v1/socialsec/me/bindings）。"
)
NOT_BOUND_TYPE = "urn:guanwei:problem:socialsec-not-bound"


@dataclass(frozen=True)
class Bound:
    """A binding with the person and card it proves."""

    binding: Binding
    person: InsuredPerson
    card: SocialCard


def bind(
    session: Session, attempt: Attempt, *, name: str, id_number: str, card_number: str
) -> Bound:
    """Bind the record whose name, ID and card number all match; inputs are validated already."""
    BINDINGS.check_throttle(session, attempt)
    citizen_id = attempt.citizen_id
    found = session.exec(
        select(InsuredPerson, SocialCard)
        .join(SocialCard, col(SocialCard.person_id) == InsuredPerson.id)
        .where(InsuredPerson.id_number == id_number)
    ).first()
    if found is None or found[0].name != name or found[1].card_number != card_number:
        raise BINDINGS.refuse(
            session, attempt, detail=REFUSED, fields=["name", "id_number", "card_number"]
        )
    person, card = found
    held = session.exec(select(Binding).where(Binding.citizen_id == citizen_id)).first()
    if held is not None:
        raise Conflict(
            "您已绑定该社保信息。"
            if held.person_id == person.id
            else "您已绑定一份社保信息；如需更换，请先解除原绑定。"
        )
    if session.exec(select(Binding).where(Binding.person_id == person.id)).first() is not None:
        raise Conflict("该社保信息已被其他微信用户绑定；如非本人操作，请携带身份证到社保分局办理。")
    assert person.id is not None
    binding = save_or_conflict(
        session,
        Binding(citizen_id=citizen_id, person_id=person.id, created_at=attempt.now),
        conflict="该社保信息已被绑定。",
    )
    log.info("binding created", extra={"citizen_id": citizen_id, "binding_id": binding.id})
    return Bound(binding, person, card)


def bound(session: Session, *, citizen_id: str) -> Bound | None:
    """The citizen's binding with its person and card, if any."""
    row = session.exec(
        select(Binding, InsuredPerson, SocialCard)
        .join(InsuredPerson, col(InsuredPerson.id) == Binding.person_id)
        .join(SocialCard, col(SocialCard.person_id) == InsuredPerson.id)
        .where(Binding.citizen_id == citizen_id)
    ).first()
    return None if row is None else Bound(*row)


def require_bound(session: Session, *, citizen_id: str) -> Bound:
    """The citizen's binding, or a 404 problem explaining how to bind."""
    found = bound(session, citizen_id=citizen_id)
    if found is None:
        raise NotFound(NOT_BOUND, type_=NOT_BOUND_TYPE)
    return found
