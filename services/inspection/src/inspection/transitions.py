"""The state machine of an inspection application (定期检验报检), as pure functions.

受理 -> 已排期 -> 检验中 -> 出具报告, one step at a time and never back. Each step asks for its
own facts and no others:

- 已排期: the inspection day, from today to `SCHEDULE_DAYS` ahead;
- 检验中: nothing (the inspector is on site);
- 出具报告: the day inspected (not in the future, not before the scheduled day), a conclusion
  the equipment's category can reach (`intervals.conclusions_of`) and, for pressure vessels
  only, the safety level (安全状况等级) the inspection graded; the next due date follows from
  them (`intervals.next_due`).

A step that is not the next one is a 409; a step's facts that are missing or wrong are a 422
naming each field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, get_args

from inspection.intervals import conclusions_of, next_due
from inspection.models import ApplicationState, Transition
from inspection.varieties import Variety
from servicekit.errors import Conflict, ValidationFailed

STATES: tuple[ApplicationState, ...] = get_args(ApplicationState)
FIRST: ApplicationState = STATES[0]
REPORTED: ApplicationState = STATES[-1]
# How far ahead an inspection may be scheduled (and a contact may ask for a day).
SCHEDULE_DAYS = 90
VESSELS = "压力容器"
# Level 5 means the vessel is to be scrapped (判废): it cannot pass.
SCRAP_LEVEL = 5
FAILED_VESSEL = "不符合要求"
# The facts a move may carry, by the state it moves to, with their names for the inspector.
FACTS = {
    "scheduled_date": "检验日期",
    "inspected_on": "实际检验日期",
    "conclusion": "检验结论",
    "safety_level": "安全状况等级",
}
FACTS_OF: dict[ApplicationState, frozenset[str]] = {
    "受理": frozenset(),
    "已排期": frozenset({"scheduled_date"}),
    "检验中": frozenset(),
    "出具报告": frozenset({"inspected_on", "conclusion", "safety_level"}),
}


@dataclass(frozen=True)
class Step:
    """What a move writes: the application's new values and the remark its contacts read."""

    state: ApplicationState
    changes: dict[str, Any]
    remark: str


def next_state(state: ApplicationState) -> ApplicationState | None:
    """The state after `state`, or None once the report is issued."""
    index = STATES.index(state)
    return STATES[index + 1] if index + 1 < len(STATES) else None


def may_move(*, state: ApplicationState, to: ApplicationState) -> bool:
    """Only the next state may follow `state`."""
    return next_state(state) == to


def day_text(day: date) -> str:
    """A day as contacts read it, 2026年06月20日."""
    return f"{day:%Y年%m月%d日}"


def accepted_remark(*, preferred_date: date | None) -> str:
    """The remark of a new application (受理)."""
    wish = f"（希望检验日期：{day_text(preferred_date)}）" if preferred_date else ""
    return f"已受理您的报检申请{wish}，检验机构排期后将告知检验日期。"


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "in": "body", "message": message, "type": "transition"}


def preferred_date_errors(*, preferred_date: date | None, today: date) -> list[dict[str, str]]:
    """What is wrong with a contact's preferred inspection day (nothing when none given)."""
    if preferred_date is None:
        return []
    return [
        _error("preferred_date", m) for m in _day_problems(preferred_date, today, "希望检验日期")
    ]


def _day_problems(day: date, today: date, name: str) -> list[str]:
    if day < today:
        return [f"{name}不能早于今天。"]
    if day > today + timedelta(days=SCHEDULE_DAYS):
        return [f"{name}应在今天起{SCHEDULE_DAYS}天内。"]
    return []


def _schedule_errors(move: Transition, today: date) -> list[dict[str, str]]:
    if move.scheduled_date is None:
        return [_error("scheduled_date", "安排检验需填写检验日期 scheduled_date。")]
    problems = _day_problems(move.scheduled_date, today, "检验日期")
    return [_error("scheduled_date", m) for m in problems]


def _report_errors(
    move: Transition, variety: Variety, scheduled_date: date | None, today: date
) -> list[dict[str, str]]:
    errors = []
    if move.inspected_on is None:
        errors.append(_error("inspected_on", "出具报告需填写实际检验日期 inspected_on。"))
    elif move.inspected_on > today:
        errors.append(_error("inspected_on", "实际检验日期不能晚于今天。"))
    elif scheduled_date is not None and move.inspected_on < scheduled_date:
        errors.append(
            _error("inspected_on", f"实际检验日期不能早于排定的{day_text(scheduled_date)}。")
        )
    allowed = conclusions_of(variety)
    if move.conclusion is None:
        errors.append(_error("conclusion", "出具报告需填写检验结论 conclusion。"))
    elif move.conclusion not in allowed:
        errors.append(
            _error("conclusion", f"{variety.category}的检验结论应为：{'、'.join(allowed)}。")
        )
    if variety.category != VESSELS:
        if move.safety_level is not None:
            errors.append(_error("safety_level", "只有压力容器评定安全状况等级。"))
    elif move.safety_level is None:
        errors.append(_error("safety_level", "压力容器出具报告需填写安全状况等级（1-5级）。"))
    elif move.safety_level == SCRAP_LEVEL and move.conclusion not in (None, FAILED_VESSEL):
        errors.append(_error("conclusion", f"安全状况等级为5级的压力容器结论应为{FAILED_VESSEL}。"))
    return errors


def move_errors(
    *, move: Transition, variety: Variety, scheduled_date: date | None, today: date
) -> list[dict[str, str]]:
    """Per field, what keeps `move` from being made: facts another step takes, and the facts
    its own step needs that are missing or wrong."""
    errors = [
        _error(name, f"{move.to}这一步不填写{label}。")
        for name, label in FACTS.items()
        if name not in FACTS_OF[move.to] and getattr(move, name) is not None
    ]
    if move.to == "已排期":
        errors += _schedule_errors(move, today)
    elif move.to == REPORTED:
        errors += _report_errors(move, variety, scheduled_date, today)
    return errors


def _report_remark(variety: Variety, changes: dict[str, Any]) -> str:
    level = changes["safety_level"]
    graded = f"，安全状况等级{level}级" if level is not None else ""
    said = f"检验报告已出具：{day_text(changes['inspected_on'])}检验，结论{changes['conclusion']}"
    if changes["next_due"] is None:
        return f"{said}{graded}。设备不得继续使用，请整改后申请复检。"
    return f"{said}{graded}，下次检验日期{day_text(changes['next_due'])}。"


def plan_move(
    *,
    state: ApplicationState,
    move: Transition,
    variety: Variety,
    scheduled_date: date | None,
    today: date,
) -> Step:
    """The step `move` makes from `state`: 409 unless it goes to the next state, 422 naming
    each field when its facts are missing, wrong or not its own."""
    if not may_move(state=state, to=move.to):
        following = next_state(state)
        if following is None:
            raise Conflict(f"该申请已{REPORTED}，不能再变更。")
        raise Conflict(f"该申请当前为“{state}”，下一步只能是“{following}”，不能改为“{move.to}”。")
    errors = move_errors(move=move, variety=variety, scheduled_date=scheduled_date, today=today)
    if errors:
        raise ValidationFailed("；".join(e["message"] for e in errors), errors=errors)
    if move.to == "已排期":
        assert move.scheduled_date is not None
        return Step(
            state=move.to,
            changes={"scheduled_date": move.scheduled_date},
            remark=f"已安排于{day_text(move.scheduled_date)}检验，请届时安排人员到场配合。",
        )
    if move.to == "检验中":
        return Step(state=move.to, changes={}, remark="检验人员已到场，正在检验。")
    assert move.inspected_on is not None and move.conclusion is not None
    changes: dict[str, Any] = {
        "inspected_on": move.inspected_on,
        "conclusion": move.conclusion,
        "safety_level": move.safety_level,
        "next_due": next_due(
            variety=variety,
            last=move.inspected_on,
            conclusion=move.conclusion,
            safety_level=move.safety_level,
        ),
    }
    return Step(state=move.to, changes=changes, remark=_report_remark(variety, changes))
