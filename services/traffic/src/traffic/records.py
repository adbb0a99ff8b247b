"""Violation records as citizens see them: status and amount due on a given day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, or_, select

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
        reach.append(PenaltyDecision.licence_id == licence_id)
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
