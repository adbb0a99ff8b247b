"""The application state machine as table tests: the only moves allowed, what each one needs,
the remark contacts read, and the next due date each category gets from its report."""

from datetime import date, timedelta
from itertools import product
from typing import Any

import pytest

from inspection.applications import application_number
from inspection.models import ApplicationState, Transition
from inspection.transitions import (
    STATES,
    Step,
    accepted_remark,
    may_move,
    next_state,
    plan_move,
    preferred_date_errors,
)
from inspection.varieties import BY_CODE
from servicekit.errors import Conflict, ValidationFailed

TODAY = date(2026, 6, 15)
SCHEDULED = date(2026, 6, 10)
LIFT = BY_CODE["3110"]
VESSEL = BY_CODE["2150"]
ALLOWED = {("受理", "已排期"), ("已排期", "检验中"), ("检验中", "出具报告")}
REPORT = {"to": "出具报告", "inspected_on": TODAY, "conclusion": "合格"}


def plan(state: ApplicationState, variety: Any = LIFT, **move: Any) -> Step:
    return plan_move(
        state=state,
        move=Transition(**move),
        variety=variety,
        scheduled_date=SCHEDULED,
        today=TODAY,
    )


def refused_fields(state: ApplicationState, variety: Any = LIFT, **move: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as refused:
        plan(state, variety, **move)
    assert refused.value.errors is not None
    return [e["field"] for e in refused.value.errors]


def test_the_states_in_order() -> None:
    assert STATES == ("受理", "已排期", "检验中", "出具报告")
    assert [next_state(s) for s in STATES] == ["已排期", "检验中", "出具报告", None]


@pytest.mark.parametrize(("state", "to"), list(product(STATES, STATES)))
def test_only_the_next_state_may_follow(state: ApplicationState, to: ApplicationState) -> None:
    assert may_move(state=state, to=to) is ((state, to) in ALLOWED)


@pytest.mark.parametrize(
    ("state", "to"), [pair for pair in product(STATES, STATES) if pair not in ALLOWED]
)
def test_skipping_staying_or_going_back_is_a_409(
    state: ApplicationState, to: ApplicationState
) -> None:
    # Even with every fact the target step could want: the order is checked first.
    move = {"to": to}
    if to == "已排期":
        move["scheduled_date"] = TODAY
    if to == "出具报告":
        move |= REPORT
    with pytest.raises(Conflict) as refused:
        plan(state, **move)
    expected = "不能再变更" if state == "出具报告" else f"下一步只能是“{next_state(state)}”"
    assert expected in refused.value.detail


@pytest.mark.parametrize(
    ("move", "state", "changes", "remark"),
    [
        (
            {"to": "已排期", "scheduled_date": date(2026, 6, 20)},
            "受理",
            {"scheduled_date": date(2026, 6, 20)},
            "已安排于2026年06月20日检验",
        ),
        ({"to": "检验中"}, "已排期", {}, "正在检验"),
        (
            REPORT,
            "检验中",
            {
                "inspected_on": TODAY,
                "conclusion": "合格",
                "safety_level": None,
                "next_due": date(2027, 6, 15),
            },
            "检验报告已出具：2026年06月15日检验，结论合格，下次检验日期2027年06月15日。",
        ),
    ],
)
def test_every_allowed_move(
    move: dict[str, Any], state: ApplicationState, changes: dict[str, Any], remark: str
) -> None:
    step = plan(state, **move)
    assert step.state == move["to"] and step.changes == changes
    assert remark in step.remark


@pytest.mark.parametrize(
    ("scheduled", "fields"),
    [
        (None, ["scheduled_date"]),
        (TODAY - timedelta(days=1), ["scheduled_date"]),  # not in the past
        (TODAY, []),
        (TODAY + timedelta(days=90), []),
        (TODAY + timedelta(days=91), ["scheduled_date"]),  # within 90 days
    ],
)
def test_scheduling_needs_a_day_from_today_within_90_days(
    scheduled: date | None, fields: list[str]
) -> None:
    if fields:
        assert refused_fields("受理", to="已排期", scheduled_date=scheduled) == fields
    else:
        assert plan("受理", to="已排期", scheduled_date=scheduled).changes == {
            "scheduled_date": scheduled
        }


@pytest.mark.parametrize(
    ("state", "move", "fields"),
    [
        ("受理", {"to": "已排期", "scheduled_date": TODAY, "conclusion": "合格"}, ["conclusion"]),
        ("已排期", {"to": "检验中", "scheduled_date": TODAY}, ["scheduled_date"]),
        ("已排期", {"to": "检验中", "safety_level": 2}, ["safety_level"]),
        ("检验中", {**REPORT, "scheduled_date": TODAY}, ["scheduled_date"]),
    ],
)
def test_facts_of_another_step_are_refused_naming_them(
    state: ApplicationState, move: dict[str, Any], fields: list[str]
) -> None:
    assert refused_fields(state, **move) == fields


@pytest.mark.parametrize(
    ("variety", "move", "fields"),
    [
        (LIFT, {"to": "出具报告"}, ["inspected_on", "conclusion"]),
        (LIFT, {**REPORT, "inspected_on": TODAY + timedelta(days=1)}, ["inspected_on"]),
        (LIFT, {**REPORT, "inspected_on": SCHEDULED - timedelta(days=1)}, ["inspected_on"]),
        (LIFT, {**REPORT, "conclusion": "符合要求"}, ["conclusion"]),  # a boiler's wording
        (LIFT, {**REPORT, "safety_level": 1}, ["safety_level"]),  # lifts are not graded
        (VESSEL, {**REPORT, "conclusion": "符合要求"}, ["safety_level"]),  # vessels must be
        (VESSEL, {**REPORT, "conclusion": "合格", "safety_level": 2}, ["conclusion"]),
        (VESSEL, {**REPORT, "conclusion": "符合要求", "safety_level": 5}, ["conclusion"]),
        (BY_CODE["1100"], {**REPORT, "conclusion": "合格"}, ["conclusion"]),
    ],
)
def test_what_a_report_needs(variety: Any, move: dict[str, Any], fields: list[str]) -> None:
    assert refused_fields("检验中", variety, **move) == fields


def test_a_report_on_the_scheduled_day_is_accepted() -> None:
    step = plan("检验中", **{**REPORT, "inspected_on": SCHEDULED})
    assert step.changes["inspected_on"] == SCHEDULED


@pytest.mark.parametrize(
    ("variety", "conclusion", "level", "due"),
    [
        ("3110", "合格", None, date(2027, 6, 15)),  # lift: 1 year
        ("3310", "复检合格", None, date(2027, 6, 15)),  # escalator
        ("1100", "符合要求", None, date(2027, 6, 15)),  # boiler: 1 year
        ("2150", "符合要求", 1, date(2032, 6, 15)),  # vessel level 1-2: 6 years
        ("2170", "符合要求", 2, date(2032, 6, 15)),
        ("2150", "基本符合要求", 3, date(2029, 6, 15)),  # level 3: 3 years
        ("2150", "基本符合要求", 4, date(2027, 6, 15)),  # level 4, monitored: 1 year
        ("2150", "不符合要求", 5, None),  # level 5: scrapped
        ("4110", "合格", None, date(2028, 6, 15)),  # bridge crane: 2 years
        ("4310", "合格", None, date(2027, 6, 15)),  # tower crane: 1 year
        ("5110", "合格", None, date(2027, 6, 15)),  # forklift: 1 year
        ("3110", "不合格", None, None),  # failed: none until re-inspected
    ],
)
def test_the_report_sets_next_due_per_category(
    variety: str, conclusion: str, level: int | None, due: date | None
) -> None:
    step = plan(
        "检验中", BY_CODE[variety], **{**REPORT, "conclusion": conclusion, "safety_level": level}
    )
    assert step.changes["next_due"] == due and step.changes["safety_level"] == level
    if due is None:
        assert "不得继续使用" in step.remark and "复检" in step.remark
    else:
        assert f"下次检验日期{due:%Y年%m月%d日}" in step.remark
    if level is not None:
        assert f"安全状况等级{level}级" in step.remark


@pytest.mark.parametrize(
    ("preferred", "fields"),
    [
        (None, []),
        (TODAY, []),
        (TODAY - timedelta(days=1), ["preferred_date"]),
        (TODAY + timedelta(days=90), []),
        (TODAY + timedelta(days=91), ["preferred_date"]),
    ],
)
def test_a_preferred_day_is_from_today_within_90_days(
    preferred: date | None, fields: list[str]
) -> None:
    errors = preferred_date_errors(preferred_date=preferred, today=TODAY)
    assert [e["field"] for e in errors] == fields


def test_the_accepted_remark_names_the_preferred_day() -> None:
    assert "2026年06月25日" in accepted_remark(preferred_date=date(2026, 6, 25))
    assert "希望" not in accepted_remark(preferred_date=None)


@pytest.mark.parametrize(
    ("day", "sequence", "number"),
    [
        (date(2026, 12, 3), 123, "BJ20261203000123"),
        (date(2026, 1, 9), 1, "BJ20260109000001"),
        (date(2026, 1, 9), 999_999, "BJ20260109999999"),
    ],
)
def test_application_numbers(day: date, sequence: int, number: str) -> None:
    assert application_number(day=day, sequence=sequence) == number
    assert len(number) == 16


@pytest.mark.parametrize("sequence", [0, 1_000_000])
def test_a_number_outside_the_day_s_range_is_refused(sequence: int) -> None:
    with pytest.raises(ValueError):
        application_number(day=TODAY, sequence=sequence)
