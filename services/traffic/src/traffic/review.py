"""Review study (审验学习) of bus and truck licences: A1, A2, A3, B1 and B2.

Rules (reference/traffic-and-payment.md, "Annual review study"): a licence of these classes is
reviewed within 30 days after each scoring cycle ends; a cycle without points is exempt;
otherwise the driver studies at least 180 minutes and passes an exam, both possible online.

Which cycle the page is about: the previous cycle while its 30-day review window is open and
its review, owed, is not done; otherwise the current cycle, whose review falls due when it ends.
Study may be done ahead during the cycle once it has points (as the national app allows), so a
driver is not squeezed into the 30 days. Points that count are those recorded in the cycle
(decisions dated in it), whether or not study to reduce points removed them since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select

from servicekit.clock import local_day
from servicekit.errors import Conflict, NotFound
from traffic.models import (
    DriverLicence,
    PenaltyDecision,
    ReviewCompletion,
    ReviewStatus,
    ReviewStudyRecord,
)
from traffic.points import Cycle, previous_cycle, scoring_cycle

REVIEW_CLASSES = frozenset({"A1", "A2", "A3", "B1", "B2"})
REQUIRED_MINUTES = 180
WINDOW_DAYS = 30
PASS_SCORE = 80


@dataclass(frozen=True)
class Course:
    """A course of the review study."""

    code: str
    title: str
    minutes: int


COURSES = (
    Course("law", "道路交通安全法律法规", 45),
    Course("heavy-vehicles", "大中型客货车安全驾驶技能", 40),
    Course("weather-night", "恶劣天气和夜间安全驾驶", 30),
    Course("emergency", "应急处置与事故现场自救", 30),
    Course("case-studies", "交通事故案例警示教育", 30),
    Course("civility", "文明驾驶与职业道德", 25),
)
COURSE_MINUTES = {c.code: c.minutes for c in COURSES}


@dataclass(frozen=True)
class Question:
    """An exam question, its options and its answer."""

    id: str
    question: str
    options: dict[str, str]
    answer: str


QUESTIONS = (
    Question(
        "q1",
        "驾驶大型货车在高速公路上行驶，最高车速不得超过每小时多少公里？",
        {"A": "80", "B": "100", "C": "120"},
        "B",
    ),
    Question(
        "q2",
        "大中型客货车驾驶人在一个记分周期内有记分的，应在周期结束后多少日内审验？",
        {"A": "15日", "B": "30日", "C": "60日"},
        "B",
    ),
    Question(
        "q3",
        "驾驶客车连续驾驶超过多长时间须停车休息不少于20分钟？",
        {"A": "2小时", "B": "4小时", "C": "6小时"},
        "B",
    ),
    Question(
        "q4",
        "雨天在高速公路上行驶，能见度低于50米时应当怎样做？",
        {
            "A": "车速不超过每小时20公里并尽快驶离高速公路",
            "B": "开启远光灯正常行驶",
            "C": "停在行车道上等待",
        },
        "A",
    ),
    Question(
        "q5",
        "车辆发生事故后在高速公路上设置警告标志，应设在车后多少米以外？",
        {"A": "50米", "B": "100米", "C": "150米"},
        "C",
    ),
)


@dataclass(frozen=True)
class Review:
    """Where a licence's review stands on day `on`."""

    licence: DriverLicence
    cycle: Cycle
    points: int
    due_by: date | None
    status: ReviewStatus
    studied: dict[str, int]
    previous_overdue: bool
    completion: ReviewCompletion | None

    @property
    def studied_minutes(self) -> int:
        """Minutes studied for this cycle's review."""
        return sum(self.studied.values())


def needs_review(*, licence_class: str, cycle_points: int) -> bool:
    """Whether a licence of this class with these points in a cycle must be reviewed for it."""
    return licence_class in REVIEW_CLASSES and cycle_points > 0


def review_due_by(*, cycle: Cycle) -> date:
    """The last day of a cycle's review window: 30 days after the cycle ends."""
    return cycle.end + timedelta(days=WINDOW_DAYS)


def review_status(
    *, licence_class: str, cycle_points: int, studied_minutes: int, completed: bool
) -> ReviewStatus:
    """not_applicable, exempt, required (studying), exam_pending (180 minutes done), completed."""
    if licence_class not in REVIEW_CLASSES:
        return "not_applicable"
    if cycle_points == 0:
        return "exempt"
    if completed:
        return "completed"
    return "exam_pending" if studied_minutes >= REQUIRED_MINUTES else "required"


def review_cycle(*, current: Cycle, previous: Cycle, previous_open: bool, on: date) -> Cycle:
    """The cycle the review page is about: the previous one while its owed review is open
    (`previous_open`: owed and not done) and its window lasts."""
    if previous_open and on <= review_due_by(cycle=previous):
        return previous
    return current


def credited_minutes(*, course_minutes: int, studied: int, minutes: int) -> int:
    """Minutes a new record adds to a course: never beyond the course's length."""
    return max(0, min(minutes, course_minutes - studied))


def exam_score(*, answers: Mapping[str, str]) -> int:
    """Score 0-100 of the answers (question id -> option letter, any case)."""
    right = sum(answers.get(q.id, "").strip().upper() == q.answer for q in QUESTIONS)
    return right * 100 // len(QUESTIONS)


STATUS_TEXT: dict[str, str] = {
    "not_applicable": "您的准驾车型无需审验学习（仅 A1、A2、A3、B1、B2 驾驶证须审验）。",
    "exempt": "该记分周期无记分记录，免予审验。",
    "required": "须完成不少于180分钟的审验学习并通过考试。",
    "exam_pending": "学习已满180分钟，请参加审验考试。",
    "completed": "审验学习和考试已完成。",
}


def _points(session: Session, *, licence_id: int, cycle: Cycle) -> int:
    return session.exec(
        select(func.coalesce(func.sum(PenaltyDecision.points), 0)).where(
            PenaltyDecision.licence_id == licence_id,
            col(PenaltyDecision.decided_on).between(cycle.start, cycle.end),
        )
    ).one()


def _completion(session: Session, *, licence_id: int, cycle: Cycle) -> ReviewCompletion | None:
    return session.exec(
        select(ReviewCompletion).where(
            ReviewCompletion.licence_id == licence_id,
            ReviewCompletion.cycle_start == cycle.start,
        )
    ).first()


def review_of(session: Session, *, licence: DriverLicence, on: date) -> Review:
    """The review a licence is concerned with on day `on`."""
    assert licence.id is not None
    current = scoring_cycle(first_issued_on=licence.first_issued_on, on=on)
    previous = previous_cycle(first_issued_on=licence.first_issued_on, cycle=current)
    # The previous cycle's review is open while owed (points there) and not done.
    previous_open = (
        needs_review(
            licence_class=licence.licence_class,
            cycle_points=_points(session, licence_id=licence.id, cycle=previous),
        )
        and _completion(session, licence_id=licence.id, cycle=previous) is None
    )
    cycle = review_cycle(current=current, previous=previous, previous_open=previous_open, on=on)
    points = _points(session, licence_id=licence.id, cycle=cycle)
    rows = session.exec(
        select(ReviewStudyRecord.course_code, func.sum(ReviewStudyRecord.minutes))
        .where(
            ReviewStudyRecord.licence_id == licence.id,
            ReviewStudyRecord.cycle_start == cycle.start,
        )
        .group_by(ReviewStudyRecord.course_code)
    ).all()
    studied = {code: int(minutes) for code, minutes in rows}
    completion = _completion(session, licence_id=licence.id, cycle=cycle)
    status = review_status(
        licence_class=licence.licence_class,
        cycle_points=points,
        studied_minutes=sum(studied.values()),
        completed=completion is not None,
    )
    return Review(
        licence=licence,
        cycle=cycle,
        points=points,
        due_by=review_due_by(cycle=cycle) if status not in ("not_applicable", "exempt") else None,
        status=status,
        studied=studied,
        previous_overdue=previous_open and on > review_due_by(cycle=previous),
        completion=completion,
    )


def _refuse_unless_studying(review: Review) -> None:
    if review.status in ("not_applicable", "exempt", "completed"):
        raise Conflict(STATUS_TEXT[review.status])


def record_study(
    session: Session,
    *,
    licence: DriverLicence,
    course_code: str,
    minutes: int,
    now: datetime,
) -> Review:
    """Add minutes studied of a course to the review; 409 when nothing is left to study."""
    on = local_day(now)
    if course_code not in COURSE_MINUTES:
        raise NotFound(f"未找到审验课程“{course_code}”。")
    # Row lock on PostgreSQL: two records at once must not both fit under a course's length.
    session.exec(select(DriverLicence).where(DriverLicence.id == licence.id).with_for_update())
    review = review_of(session, licence=licence, on=on)
    _refuse_unless_studying(review)
    credit = credited_minutes(
        course_minutes=COURSE_MINUTES[course_code],
        studied=review.studied.get(course_code, 0),
        minutes=minutes,
    )
    if credit == 0:
        session.rollback()
        raise Conflict("该课程已学完，请学习其他课程。")
    assert licence.id is not None
    session.add(
        ReviewStudyRecord(
            licence_id=licence.id,
            cycle_start=review.cycle.start,
            course_code=course_code,
            minutes=credit,
            studied_at=now,
        )
    )
    session.commit()
    return review_of(session, licence=licence, on=on)


def take_exam(
    session: Session, *, licence: DriverLicence, answers: Mapping[str, str], now: datetime
) -> tuple[int, Review]:
    """Score the exam; passing it after 180 minutes of study completes the review."""
    on = local_day(now)
    review = review_of(session, licence=licence, on=on)
    _refuse_unless_studying(review)
    if review.status != "exam_pending":
        raise Conflict(
            f"已学习{review.studied_minutes}分钟，须学满{REQUIRED_MINUTES}分钟后才能参加考试。"
        )
    score = exam_score(answers=answers)
    if score < PASS_SCORE:
        return score, review
    assert licence.id is not None
    session.add(
        ReviewCompletion(
            licence_id=licence.id,
            cycle_start=review.cycle.start,
            cycle_end=review.cycle.end,
            studied_minutes=review.studied_minutes,
            exam_score=score,
            completed_at=now,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent exam of the same driver completed the review first.
        session.rollback()
    return score, review_of(session, licence=licence, on=on)


def completions_query(*, licence: DriverLicence) -> Select[Any]:
    """A licence's completed reviews (order by `cycle_start` descending: latest cycle first)."""
    return select(ReviewCompletion).where(ReviewCompletion.licence_id == licence.id)


def completions(session: Session, *, licence: DriverLicence) -> list[ReviewCompletion]:
    """A licence's completed reviews, latest cycle first."""
    query = completions_query(licence=licence).order_by(col(ReviewCompletion.cycle_start).desc())
    return list(session.exec(query).all())
