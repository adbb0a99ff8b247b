"""Scoring cycles, cycle points, the 12-point lock and study to reduce points (pure rules)."""

from datetime import date

import pytest

from traffic.points import (
    Cycle,
    DecidedPoints,
    StudyKind,
    cycle_points,
    point_study_refusal,
    scoring_cycle,
    study_days,
    study_reduction,
)


@pytest.mark.parametrize(
    ("first_issued_on", "on", "start", "end"),
    [
        (date(2012, 5, 10), date(2026, 6, 15), date(2026, 5, 10), date(2027, 5, 9)),
        (date(2012, 5, 10), date(2026, 5, 10), date(2026, 5, 10), date(2027, 5, 9)),
        (date(2012, 5, 10), date(2026, 5, 9), date(2025, 5, 10), date(2026, 5, 9)),
        (date(2019, 12, 31), date(2026, 1, 1), date(2025, 12, 31), date(2026, 12, 30)),
        # First licensed on 29 February: the anniversary is the 28th in common years.
        (date(2008, 2, 29), date(2026, 3, 1), date(2026, 2, 28), date(2027, 2, 27)),
        (date(2008, 2, 29), date(2028, 2, 28), date(2027, 2, 28), date(2028, 2, 28)),
        (date(2008, 2, 29), date(2028, 2, 29), date(2028, 2, 29), date(2029, 2, 27)),
    ],
)
def test_scoring_cycle(first_issued_on: date, on: date, start: date, end: date) -> None:
    assert scoring_cycle(first_issued_on=first_issued_on, on=on) == Cycle(start, end)


CYCLE = Cycle(date(2026, 5, 10), date(2027, 5, 9))


@pytest.mark.parametrize(
    ("decided", "studied", "cleared", "points", "carried"),
    [
        ([], 0, 0, 0, 0),
        ([DecidedPoints(6, date(2026, 6, 1), paid=False)], 0, 0, 6, 0),
        ([DecidedPoints(6, date(2026, 6, 1), paid=True)], 0, 0, 6, 0),
        # Earlier cycles: paid points are cleared, unpaid ones carry over.
        ([DecidedPoints(3, date(2026, 5, 9), paid=True)], 0, 0, 0, 0),
        ([DecidedPoints(3, date(2026, 5, 9), paid=False)], 0, 0, 3, 3),
        (
            [
                DecidedPoints(6, date(2026, 6, 1), paid=True),
                DecidedPoints(1, date(2025, 8, 1), paid=False),
            ],
            2,
            0,
            5,
            1,
        ),
        ([DecidedPoints(12, date(2026, 6, 1), paid=True)], 0, 12, 0, 0),
        ([DecidedPoints(1, date(2026, 6, 1), paid=True)], 6, 0, 0, 0),
    ],
)
def test_cycle_points(
    decided: list[DecidedPoints], studied: int, cleared: int, points: int, carried: int
) -> None:
    result = cycle_points(decided=decided, cycle=CYCLE, studied=studied, cleared=cleared)
    assert result == (points, carried)


@pytest.mark.parametrize(
    ("lock_number", "points", "days"),
    [(1, 12, 7), (1, 23, 7), (1, 24, 14), (2, 12, 14), (1, 36, 21), (2, 30, 14), (3, 12, 21)],
)
def test_study_days_of_a_12_point_lock(lock_number: int, points: int, days: int) -> None:
    assert study_days(lock_number=lock_number, points=points) == days


@pytest.mark.parametrize(
    ("points", "studied", "excluded", "refusal"),
    [
        (3, 0, None, None),
        (11, 5, None, None),
        (12, 0, None, "已满12分"),
        (15, 0, None, "已满12分"),
        (0, 0, None, "暂无记分"),
        (4, 6, None, "已达上限6分"),
        (4, 0, "本或上一记分周期内有饮酒后驾驶记录", "饮酒后驾驶记录，本记分周期不能"),
    ],
)
def test_point_study_refusal(
    points: int, studied: int, excluded: str | None, refusal: str | None
) -> None:
    answer = point_study_refusal(points=points, studied=studied, excluded_because=excluded)
    if refusal is None:
        assert answer is None
    else:
        assert answer is not None and refusal in answer


@pytest.mark.parametrize(
    ("kind", "points", "studied", "reduction"),
    [
        ("online", 6, 0, 1),
        ("onsite", 6, 0, 2),
        ("onsite", 1, 0, 1),
        ("onsite", 9, 5, 1),
        ("online", 9, 5, 1),
        ("online", 9, 6, 0),
    ],
)
def test_study_reduction(kind: StudyKind, points: int, studied: int, reduction: int) -> None:
    assert study_reduction(kind=kind, points=points, studied=studied) == reduction
