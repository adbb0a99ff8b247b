"""Self-service handling (网上自助处理): a citizen accepts a penalty decision for a violation.

Eligible are violations of a vehicle the citizen has bound (as owner or as someone who knows its
papers) with no decision yet, whose points are at or under the online-handling threshold, when
the citizen has bound their own licence, that licence is not locked at 12 points and the
violation's points would not bring it to 12 (reaching 12 needs the counter's full-score
procedure). Points go to the citizen's licence; the decision is dated today.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from servicekit.db import save_or_conflict
from servicekit.errors import Conflict, Forbidden, NotFound
from traffic.bindings import bound_licence, bound_vehicle_ids
from traffic.licences import Standing, licence_standing
from traffic.models import PenaltyDecision
from traffic.penalties import decision_number, due_date
from traffic.points import FULL_SCORE
from traffic.records import ViolationRecord, violation_records

COUNTER = "请携带驾驶证、行驶证到交警大队违法处理窗口办理。"


def decide_violation(
    session: Session, *, citizen_id: str, violation_id: int, on: date, max_points: int
) -> ViolationRecord:
    """Create the penalty decision of a violation the citizen may handle online."""
    licence = bound_licence(session, citizen_id=citizen_id)
    records = violation_records(
        session,
        vehicle_ids=bound_vehicle_ids(session, citizen_id=citizen_id),
        licence_id=None if licence is None else licence.id,
        violation_id=violation_id,
    )
    if not records:
        raise NotFound("未找到该违法记录，请先绑定该机动车。")
    record = records[0]
    if record.decision is not None:
        raise Conflict(f"该违法已处理，决定书编号{record.decision.number}。")
    if licence is None or licence.id is None:
        raise Conflict("请先绑定本人驾驶证，违法记分将记入该驾驶证。")
    violation = record.violation
    if violation.points > max_points:
        raise Forbidden(
            f"该违法记{violation.points}分，网上仅可处理记{max_points}分及以下的违法。{COUNTER}"
        )
    standing = licence_standing(session, licence=licence, on=on)
    if standing.locked:
        raise Conflict(f"驾驶证本记分周期已记满12分，不能网上处理违法。{COUNTER}")
    if violation.points and standing.points + violation.points >= FULL_SCORE:
        raise Conflict(
            f"处理后驾驶证累积记分将达到{standing.points + violation.points}分，"
            f"须办理满分学习。{COUNTER}"
        )
    assert violation.id is not None
    decision = PenaltyDecision(
        number=decision_number(decided_on=on, serial=violation.id),
        violation_id=violation.id,
        licence_id=licence.id,
        fine_fen=violation.fine_fen,
        points=violation.points,
        decided_on=on,
        due_on=due_date(decided_on=on),
    )
    # A concurrent request may have handled the same violation first.
    save_or_conflict(session, decision, conflict="该违法已处理。")
    return ViolationRecord(
        violation=violation, vehicle=record.vehicle, code=record.code, decision=decision
    )


def my_violation_records(session: Session, *, citizen_id: str) -> list[ViolationRecord]:
    """Violations of the citizen's bound vehicles and those charged to their bound licence."""
    licence = bound_licence(session, citizen_id=citizen_id)
    return violation_records(
        session,
        vehicle_ids=bound_vehicle_ids(session, citizen_id=citizen_id),
        licence_id=None if licence is None else licence.id,
    )


def handle_my_violation(
    session: Session, *, citizen_id: str, violation_id: int, on: date, max_points: int
) -> tuple[ViolationRecord, Standing]:
    """Decide the violation (`decide_violation`), and the citizen's licence afterwards."""
    record = decide_violation(
        session, citizen_id=citizen_id, violation_id=violation_id, on=on, max_points=max_points
    )
    licence = bound_licence(session, citizen_id=citizen_id)
    assert licence is not None
    return record, licence_standing(session, licence=licence, on=on)
