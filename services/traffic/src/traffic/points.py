"""Licence points (记分): scoring cycles, the 12-point lock and study to reduce points.

Pure functions over the rules of reference/traffic-and-payment.md ("Violations and points"):

- the scoring cycle runs 12 months from the first-issue anniversary (someone first licensed on
  29 February has the anniversary on 28 February in other years);
- points of a cycle are those of decisions taken in it, plus the carried-over points of earlier
  decisions whose fines are still unpaid, minus points removed by study (学法减分) and points
  cleared after a 12-point education in the cycle;
- 12 points lock the licence for a study period of 7 days (first time in the cycle), 14 (second
  time, or 24 points or more), 21 (third time on, or 36 points or more);
- study reduces points by 1 (online) or 2 (on site), at most 6 per cycle, only while the total
  is below 12, never below 0, and never for a driver excluded by a serious offence or a 12-point
  event in this or the previous cycle. It never reduces a fine.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

FULL_SCORE = 12
STUDY_CAP_PER_CYCLE = 6
StudyKind = Literal["online", "onsite"]
STUDY_POINTS: dict[str, int] = {"online": 1, "onsite": 2}


@dataclass(frozen=True)
class Cycle:
    """A scoring cycle, both ends inclusive."""

    start: date
    end: date


@dataclass(frozen=True)
class DecidedPoints:
    """Points of one penalty decision and whether its fine was paid by the day of interest."""

    points: int
    decided_on: date
    paid: bool


def anniversary(*, first_issued_on: date, year: int) -> date:
    """The first-issue anniversary in `year` (29 February falls on the 28th in common years)."""
    day = min(first_issued_on.day, calendar.monthrange(year, first_issued_on.month)[1])
    return date(year, first_issued_on.month, day)


def scoring_cycle(*, first_issued_on: date, on: date) -> Cycle:
    """The scoring cycle containing day `on`."""
    start = anniversary(first_issued_on=first_issued_on, year=on.year)
    if start > on:
        start = anniversary(first_issued_on=first_issued_on, year=on.year - 1)
    end = anniversary(first_issued_on=first_issued_on, year=start.year + 1) - timedelta(days=1)
    return Cycle(start=start, end=end)


def previous_cycle(*, first_issued_on: date, cycle: Cycle) -> Cycle:
    """The scoring cycle before `cycle`."""
    return scoring_cycle(first_issued_on=first_issued_on, on=cycle.start - timedelta(days=1))


def cycle_points(
    *,
    decided: Iterable[DecidedPoints],
    cycle: Cycle,
    studied: int,
    cleared: int,
) -> tuple[int, int]:
    """(points of the cycle in total, of which carried over from unpaid earlier decisions)."""
    in_cycle = carried = 0
    for entry in decided:
        if cycle.start <= entry.decided_on <= cycle.end:
            in_cycle += entry.points
        elif entry.decided_on < cycle.start and not entry.paid:
            carried += entry.points
    return max(0, in_cycle + carried - studied - cleared), carried


def study_days(*, lock_number: int, points: int) -> int:
    """Days of study a 12-point lock requires: by its rank in the cycle and by the points."""
    if lock_number >= 3 or points >= 3 * FULL_SCORE:
        return 21
    if lock_number == 2 or points >= 2 * FULL_SCORE:
        return 14
    return 7


def point_study_refusal(*, points: int, studied: int, excluded_because: str | None) -> str | None:
    """Why study cannot reduce points now (Chinese, for the citizen), or None when it can."""
    if excluded_because is not None:
        return f"{excluded_because}，本记分周期不能参加学法减分。"
    if points >= FULL_SCORE:
        return "累积记分已满12分，须参加满分学习和考试，不能学法减分。"
    if points == 0:
        return "本记分周期暂无记分，无需学法减分。"
    if studied >= STUDY_CAP_PER_CYCLE:
        return f"本记分周期学法减分已达上限{STUDY_CAP_PER_CYCLE}分。"
    return None


def study_reduction(*, kind: StudyKind, points: int, studied: int) -> int:
    """Points one study removes: its value, capped by what the cycle allows and what is left."""
    return max(0, min(STUDY_POINTS[kind], STUDY_CAP_PER_CYCLE - studied, points))
