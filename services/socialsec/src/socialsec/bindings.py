"""Bindings: a citizen proves who they are before seeing their social-security records.

The proof is name + resident ID number + social-security card number (DESIGN §6). A refused
proof never says which part was wrong, and refusals are counted per citizen: past the allowed
number in the window, every attempt (right or wrong) is refused with 429 until the oldest refusal
leaves the window, so guessing stays slow. A citizen binds one record, and a record one citizen.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from servicekit.clock import as_utc
from servicekit.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from socialsec.models import Binding, BindingFailure, InsuredPerson, SocialCard

log = logging.getLogger("socialsec.bindings")
REFUSED = "姓名、身份证号码与社保卡号核验未通过，请对照社保卡核对后重试。"
NOT_BOUND = (
    "您尚未绑定社保信息。请先在政务App中登录后绑定：提交姓名、身份证号码和社保卡号"
    "（POST /api/v1/socialsec/me/bindings）。"
)
NOT_BOUND_TYPE = "urn:guanwei:problem:socialsec-not-bound"


@dataclass(frozen=True)
class Throttle:
    """How many refused proofs a citizen may make within a window."""

    max_failures: int
    window: timedelta


@dataclass(frozen=True)
class Bound:
    """A binding with the person and card it proves."""

    binding: Binding
    person: InsuredPerson
    card: SocialCard


def retry_after_seconds(*, failures: list[datetime], now: datetime, throttle: Throttle) -> int:
    """Seconds until a new attempt is allowed (0 when it is allowed now); times are UTC."""
    recent = sorted(as_utc(t) for t in failures if as_utc(t) > now - throttle.window)
    if len(recent) < throttle.max_failures:
        return 0
    # The attempt becomes allowed when enough of the recent failures have aged out.
    release = recent[len(recent) - throttle.max_failures] + throttle.window
    return max(1, math.ceil((release - now).total_seconds()))


def check_throttle(session: Session, *, citizen_id: str, now: datetime, throttle: Throttle) -> None:
    """Raise 429 with Retry-After while the citizen has too many recent refused proofs."""
    query = select(BindingFailure.failed_at).where(
        BindingFailure.citizen_id == citizen_id,
        BindingFailure.failed_at > now - throttle.window,
    )
    wait = retry_after_seconds(failures=list(session.exec(query).all()), now=now, throttle=throttle)
    if wait:
        raise TooManyRequests(
            f"核验失败次数过多，请约{math.ceil(wait / 60)}分钟后再试。",
            headers={"Retry-After": str(wait)},
        )


def bind(
    session: Session,
    *,
    citizen_id: str,
    name: str,
    id_number: str,
    card_number: str,
    now: datetime,
    throttle: Throttle,
) -> Bound:
    """Bind the record whose name, ID and card number all match; inputs are validated already."""
    check_throttle(session, citizen_id=citizen_id, now=now, throttle=throttle)
    found = session.exec(
        select(InsuredPerson, SocialCard)
        .join(SocialCard, col(SocialCard.person_id) == InsuredPerson.id)
        .where(InsuredPerson.id_number == id_number)
    ).first()
    if found is None or found[0].name != name or found[1].card_number != card_number:
        session.add(BindingFailure(citizen_id=citizen_id, failed_at=now))
        session.commit()
        log.info("binding proof refused", extra={"citizen_id": citizen_id})
        errors = [
            {"field": f, "in": "body", "message": REFUSED, "type": "proof_mismatch"}
            for f in ("name", "id_number", "card_number")
        ]
        raise ValidationFailed(REFUSED, errors=errors)
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
    binding = Binding(citizen_id=citizen_id, person_id=person.id, created_at=now)
    session.add(binding)
    try:
        session.commit()
    except IntegrityError:
        # The same binding made at the same moment by a concurrent request.
        session.rollback()
        raise Conflict("该社保信息已被绑定。") from None
    session.refresh(binding)
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


def delete_binding(session: Session, *, citizen_id: str, binding_id: int) -> None:
    """Remove the citizen's binding; another citizen's is as unknown as a missing one."""
    binding = session.get(Binding, binding_id)
    if binding is None or binding.citizen_id != citizen_id:
        raise NotFound("未找到该绑定。")
    session.delete(binding)
    session.commit()


def delete_all_bindings(session: Session, *, citizen_id: str) -> int:
    """Remove every binding (and the refusal count) of a citizen; the number of bindings removed."""
    count = session.exec(
        select(func.count()).select_from(Binding).where(Binding.citizen_id == citizen_id)
    ).one()
    session.exec(delete(Binding).where(col(Binding.citizen_id) == citizen_id))
    session.exec(delete(BindingFailure).where(col(BindingFailure.citizen_id) == citizen_id))
    session.commit()
    return count
