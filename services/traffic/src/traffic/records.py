"""Violation records as citizens see them: status and amount due on a given day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import Select

from servicekit.errors import NotFound, ValidationFailed
from traffic.models import PenaltyDecision, Vehicle, Violation, ViolationCode, ViolationStatus
from traffic.penalties import amount_due_fen, overdue_days


@dataclass(frozen=True)
class ViolationRecord:
    """A violation with its vehicle, its code and its decision, if any."""

    violation: Violation
    vehicle: Vehicle
    code: ViolationCode
    decision: PenaltyDecision | None


def violation_status(*, decision: PenaltyDecision | None) -> ViolationStatus:
    """unhandled (no decision yet), decided_unpaid, or paid."""
    if decision is None:
        return "unhandled"
    return "decided_unpaid" if decision.paid_on is None else "paid"


def amount_due_on(*, fine_fen: int, decision: PenaltyDecision | None, on: date) -> int:
    """What settling the violation costs on day `on`: 0 once paid, the bare fine before a decision.

    An unhandled violation decided today would be due in 15 days, so today it costs its fine.
    """
    if decision is None:
        return fine_fen
    if decision.paid_on is not None:
        return 0
    return amount_due_fen(fine_fen=decision.fine_fen, decided_on=decision.decided_on, on=on)


def overdue_days_on(*, decision: PenaltyDecision | None, on: date) -> int:
    """Days past the payment deadline of an unpaid decision on day `on` (0 otherwise)."""
    if decision is None or decision.paid_on is not None:
        return 0
    return overdue_days(decided_on=decision.decided_on, on=on)


def find_vehicle(session: Session, *, plate: str, vin6: str) -> Vehicle | None:
    """The vehicle with this plate whose VIN ends in `vin6`; None when either does not match."""
    vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plate)).first()
    if vehicle is None or not vehicle.vin.endswith(vin6):
        return None
    return vehicle


def violation_records(
    session: Session,
    *,
    vehicle_ids: Sequence[int] = (),
    licence_id: int | None = None,
    violation_id: int | None = None,
) -> list[ViolationRecord]:
    """Violations of these vehicles, or charged to this licence, newest first.

    With `violation_id`, only that violation, and only if it belongs to them.
    """
    reach = [col(Violation.vehicle_id).in_(list(vehicle_ids))]
    if licence_id is not None:
        # As ids from the decisions' licence index, not a test on the outer-joined decision:
        # an OR across the two tables made the database scan every violation.
        charged = select(PenaltyDecision.violation_id).where(
            PenaltyDecision.licence_id == licence_id
        )
        reach.append(col(Violation.id).in_(charged))
    query = (
        select(Violation, Vehicle, ViolationCode, PenaltyDecision)
        .join(Vehicle, col(Vehicle.id) == Violation.vehicle_id)
        .join(ViolationCode, col(ViolationCode.code) == Violation.code)
        .outerjoin(PenaltyDecision, col(PenaltyDecision.violation_id) == Violation.id)
        .where(or_(*reach))
    )
    if violation_id is not None:
        query = query.where(Violation.id == violation_id)
    rows = session.exec(query.order_by(col(Violation.occurred_at).desc(), col(Violation.id))).all()
    return [ViolationRecord(*row) for row in rows]


def vehicle_violation_records(session: Session, *, plate: str, vin6: str) -> list[ViolationRecord]:
    """A vehicle's violations, newest first; 404 when plate and VIN suffix do not belong
    together (without saying whether the plate exists)."""
    vehicle = find_vehicle(session, plate=plate, vin6=vin6)
    if vehicle is None or vehicle.id is None:
        raise NotFound("未查询到与该号牌号码和车架号后六位相符的机动车，请对照行驶证核对后重试。")
    return violation_records(session, vehicle_ids=[vehicle.id])


def decision_record(
    session: Session, *, number: str, on: date | None, today: date
) -> tuple[ViolationRecord, date]:
    """A decided violation by its decision number, and the day to price it on (`on`, or today);
    404 for an unknown number, 422 for a day before the decision."""
    row = session.exec(
        select(PenaltyDecision, Violation, Vehicle, ViolationCode)
        .join(Violation, col(Violation.id) == PenaltyDecision.violation_id)
        .join(Vehicle, col(Vehicle.id) == Violation.vehicle_id)
        .join(ViolationCode, col(ViolationCode.code) == Violation.code)
        .where(PenaltyDecision.number == number)
    ).first()
    if row is None:
        raise NotFound(f"未找到编号为{number}的处罚决定书，请核对决定书编号。")
    decision, violation, vehicle, code = row
    day = on or today
    if day < decision.decided_on:
        message = f"查询日期不能早于决定日期{decision.decided_on.isoformat()}。"
        raise ValidationFailed(
            message, errors=[{"field": "on", "in": "query", "message": message, "type": "range"}]
        )
    record = ViolationRecord(violation=violation, vehicle=vehicle, code=code, decision=decision)
    return record, day


def violation_codes_query() -> Select[Any]:
    """Every known violation code."""
    return select(ViolationCode)


def violation_code(session: Session, *, code: str) -> ViolationCode:
    """One violation code, letters in any case; 404 for an unknown one."""
    row = session.get(ViolationCode, code.strip().upper())
    if row is None:
        raise NotFound(
            f"未找到违法代码“{code}”，请核对决定书上的代码，或查看 /v1/violation-codes。"
        )
    return row
