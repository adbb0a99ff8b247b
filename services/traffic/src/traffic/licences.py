"""A licence's standing on a given day: its cycle, points, lock and study to reduce points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from servicekit.errors import Conflict
from traffic.models import DriverLicence, FullScoreRecord, PenaltyDecision, PointStudy
from traffic.points import (
    FULL_SCORE,
    Cycle,
    DecidedPoints,
    StudyKind,
    cycle_points,
    point_study_refusal,
    previous_cycle,
    scoring_cycle,
    study_days,
    study_reduction,
)


@dataclass(frozen=True)
class Standing:
    """Where a licence stands on day `on`."""

    licence: DriverLicence
    on: date
    cycle: Cycle
    points: int
    carried_over: int
    studied: int
    locked: bool
    lock_number: int
    study_days: int
    study_refusal: str | None


def study_exclusion(
    *, licence: DriverLicence, since: date, full_score_dates: list[date]
) -> str | None:
    """Why the licence may not study to reduce points (a serious offence or a 12-point event
    on or after `since`, the start of the previous cycle), or None."""
    if (
        licence.serious_offence
        and licence.serious_offence_on
        and licence.serious_offence_on >= since
    ):
        return f"本或上一记分周期内有{licence.serious_offence}记录"
    if any(day >= since for day in full_score_dates):
        return "本或上一记分周期内有记满12分记录"
    return None


def licence_standing(session: Session, *, licence: DriverLicence, on: date) -> Standing:
    """Points, lock and study eligibility of `licence` on day `on`."""
    cycle = scoring_cycle(first_issued_on=licence.first_issued_on, on=on)
    decisions = session.exec(
        select(PenaltyDecision).where(
            PenaltyDecision.licence_id == licence.id, PenaltyDecision.decided_on <= on
        )
    ).all()
    decided = [
        DecidedPoints(
            points=d.points,
            decided_on=d.decided_on,
            paid=d.paid_on is not None and d.paid_on <= on,
        )
        for d in decisions
    ]
    studied = session.exec(
        select(func.coalesce(func.sum(PointStudy.points), 0)).where(
            PointStudy.licence_id == licence.id,
            col(PointStudy.studied_on).between(cycle.start, on),
        )
    ).one()
    records = session.exec(
        select(FullScoreRecord).where(
            FullScoreRecord.licence_id == licence.id, FullScoreRecord.reached_on <= on
        )
    ).all()
    cleared_in_cycle = [
        r for r in records if r.cleared_on is not None and cycle.start <= r.cleared_on <= on
    ]
    points, carried = cycle_points(
        decided=decided,
        cycle=cycle,
        studied=studied,
        cleared=sum(r.points for r in cleared_in_cycle),
    )
    locked = points >= FULL_SCORE
    lock_number = len(cleared_in_cycle) + 1 if locked else 0
    since = previous_cycle(first_issued_on=licence.first_issued_on, cycle=cycle).start
    excluded = study_exclusion(
        licence=licence, since=since, full_score_dates=[r.reached_on for r in records]
    )
    return Standing(
        licence=licence,
        on=on,
        cycle=cycle,
        points=points,
        carried_over=carried,
        studied=studied,
        locked=locked,
        lock_number=lock_number,
        study_days=study_days(lock_number=lock_number, points=points) if locked else 0,
        study_refusal=point_study_refusal(
            points=points, studied=studied, excluded_because=excluded
        ),
    )


def record_point_study(
    session: Session, *, licence: DriverLicence, kind: StudyKind, on: date
) -> tuple[PointStudy, Standing]:
    """Record a completed study and take its points off; 409 when the rules do not allow it."""
    # Row lock on PostgreSQL: two studies at once must not both fit under the cycle's cap.
    session.exec(select(DriverLicence).where(DriverLicence.id == licence.id).with_for_update())
    standing = licence_standing(session, licence=licence, on=on)
    if standing.study_refusal is not None:
        raise Conflict(standing.study_refusal)
    study = PointStudy(
        licence_id=standing.licence.id,
        kind=kind,
        points=study_reduction(kind=kind, points=standing.points, studied=standing.studied),
        studied_on=on,
    )
    session.add(study)
    session.commit()
    session.refresh(study)
    return study, licence_standing(session, licence=licence, on=on)
