"""`/v1/decisions/{number}`: a penalty decision and the amount due on a given day."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.errors import valid
from traffic.models import DecisionPublic
from traffic.records import decision_record
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
    record, day = decision_record(session, number=value, on=on, today=local_day(now))
    return decision_public(record, on=day)
