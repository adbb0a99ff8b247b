"""`/v1/decisions/{number}`: a penalty decision and the amount due on a given day."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.errors import NotFound, ValidationFailed
from traffic.models import DecisionPublic, PenaltyDecision, Vehicle, Violation, ViolationCode
from traffic.records import ViolationRecord
from traffic.routes.params import valid
from traffic.validators import validate_decision_number
from traffic.views import decision_public

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


@router.get("/{number}", response_model=DecisionPublic, summary="处罚决定书应缴金额查询")
def get_decision(
    number: str,
    session: SessionDep,
    now: NowDep,
    on: Annotated[date | None, Query(description="计算应缴金额的日期，默认今天")] = None,
) -> DecisionPublic:
    """The decision's fine, deadline and amount due (fine + late surcharge) on day `on`.

    Whoever holds the paper decision may look it up; it carries no personal data.
    """
    value = valid("number", "path", lambda: validate_decision_number(number=number))
    row = session.exec(
        select(PenaltyDecision, Violation, Vehicle, ViolationCode)
        .join(Violation, Violation.id == PenaltyDecision.violation_id)
        .join(Vehicle, Vehicle.id == Violation.vehicle_id)
        .join(ViolationCode, ViolationCode.code == Violation.code)
        .where(PenaltyDecision.number == value)
    ).first()
    if row is None:
        raise NotFound(f"未找到编号为{value}的处罚决定书，请核对决定书编号。")
    decision, violation, vehicle, code = row
    day = on or local_day(now)
    if day < decision.decided_on:
        message = f"查询日期不能早于决定日期{decision.decided_on.isoformat()}。"
        raise ValidationFailed(
            message, errors=[{"field": "on", "in": "query", "message": message, "type": "range"}]
        )
    record = ViolationRecord(violation=violation, vehicle=vehicle, code=code, decision=decision)
    return decision_public(record, on=day)
