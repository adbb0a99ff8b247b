"""`/v1/me/review-study`: review study (审验学习) of the citizen's bus or truck licence."""

from fastapi import APIRouter, status
from sqlmodel import col

from servicekit.deps import Page, PageDep, paginate
from servicekit.identity import CitizenDep
from traffic.access import ACCESS_LOG
from traffic.models import (
    ReviewCompletion,
    ReviewCompletionPublic,
    ReviewExamCreate,
    ReviewExamResult,
    ReviewQuestionPublic,
    ReviewStudyCreate,
    ReviewStudyPublic,
)
from traffic.review import completions_query, record_study, review_of, take_exam
from traffic.routes.licence import MyLicenceDep, refused
from traffic.views import (
    completions_public,
    exam_questions_public,
    exam_result_public,
    review_public,
)

router = APIRouter(prefix="/v1/me/review-study", tags=["review-study"])


@router.get(
    "",
    response_model=ReviewStudyPublic,
    operation_id="getMyReviewStudy",
    summary="我的驾驶证审验学习",
    dependencies=[ACCESS_LOG.logs("review_study")],
)
def get_review(mine: MyLicenceDep) -> ReviewStudyPublic:
    """Whether the bound licence needs review for its cycle, the courses and the minutes studied."""
    return review_public(review_of(mine.session, licence=mine.licence, on=mine.today))


@router.post(
    "/records",
    response_model=ReviewStudyPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="addReviewStudyRecord",
    summary="记录审验学习时长",
    responses=refused("无需审验、已完成，或该课程已学完"),
)
def add_study(body: ReviewStudyCreate, mine: MyLicenceDep) -> ReviewStudyPublic:
    """Add minutes studied of one course (never more than the course's length)."""
    review = record_study(
        mine.session,
        licence=mine.licence,
        course_code=body.course_code,
        minutes=body.minutes,
        now=mine.now,
    )
    return review_public(review)


@router.get(
    "/exam",
    response_model=list[ReviewQuestionPublic],
    operation_id="getReviewExam",
    summary="审验考试试题",
)
def get_exam(citizen: CitizenDep) -> list[ReviewQuestionPublic]:
    """The exam's questions, without answers."""
    return exam_questions_public()


@router.post(
    "/exam",
    response_model=ReviewExamResult,
    operation_id="submitReviewExam",
    summary="提交审验考试",
    responses=refused("学习未满180分钟、无需审验或已完成"),
)
def submit_exam(body: ReviewExamCreate, mine: MyLicenceDep) -> ReviewExamResult:
    """Score the answers; 80 or more after 180 minutes of study completes the review."""
    score, review = take_exam(
        mine.session, licence=mine.licence, answers=body.answers, now=mine.now
    )
    return exam_result_public(score, review)


@router.get(
    "/completions",
    response_model=Page[ReviewCompletionPublic],
    operation_id="listReviewStudyCompletions",
    summary="审验学习完成记录",
    dependencies=[ACCESS_LOG.logs("review_study", "完成记录")],
)
def list_completions(mine: MyLicenceDep, page: PageDep) -> Page[ReviewCompletionPublic]:
    """The bound licence's completed reviews, latest cycle first."""
    return paginate(
        mine.session,
        completions_query(licence=mine.licence),
        page,
        order_by=col(ReviewCompletion.cycle_start).desc(),
        public=completions_public,
    )
