"""Review study (审验学习) of bus and truck licences: records, completions, API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from traffic.models.base import Table

ReviewStatus = Literal["not_applicable", "exempt", "required", "exam_pending", "completed"]


class ReviewStudyRecord(Table, table=True):
    """Minutes of one course studied for the review of the cycle starting `cycle_start`."""

    __tablename__ = "review_study_record"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id", index=True)
    cycle_start: date
    course_code: str = Field(max_length=24)
    minutes: int
    studied_at: datetime = Field(sa_type=DateTime(timezone=True))


class ReviewCompletionBase(SQLModel):
    """What a completed review records, stored and shown alike."""

    cycle_start: date
    cycle_end: date
    studied_minutes: int
    exam_score: int
    completed_at: datetime = Field(sa_type=DateTime(timezone=True))


class ReviewCompletion(Table, ReviewCompletionBase, table=True):
    """A completed review (study and exam passed) of one licence for one scoring cycle."""

    __tablename__ = "review_completion"
    __table_args__ = (
        UniqueConstraint("licence_id", "cycle_start", name="uq_review_completion_licence_cycle"),
    )
    id: int | None = Field(default=None, primary_key=True)
    licence_id: int = Field(foreign_key="driver_licence.id")


class ReviewCoursePublic(SQLModel):
    """A course of the review study and how much of it the citizen has studied."""

    code: str
    title: str
    minutes: int = Field(description="课程时长（分钟）")
    studied_minutes: int = Field(description="已学习分钟数")


class ReviewCompletionPublic(ReviewCompletionBase):
    """The record of a completed review."""


class ReviewStudyPublic(SQLModel):
    """Whether the licence needs review for a cycle, and how far its study has come."""

    licence_class: str
    cycle_start: date = Field(description="审验针对的记分周期")
    cycle_end: date
    cycle_points: int = Field(description="该记分周期的记分记录合计")
    due_by: date | None = Field(description="须在此日前完成审验（周期结束后30日内）")
    status: ReviewStatus = Field(
        description="not_applicable 非大中型客货车驾驶证 | exempt 无记分免审验 | required 须学习"
        " | exam_pending 学习已满180分钟待考试 | completed 已完成"
    )
    status_text: str
    required_minutes: int
    studied_minutes: int
    previous_overdue: bool = Field(description="上一记分周期应审验而逾期未审验")
    courses: list[ReviewCoursePublic]
    completion: ReviewCompletionPublic | None = None


class ReviewStudyCreate(SQLModel):
    """Minutes studied of one course (as the learning client reports them)."""

    course_code: str = Field(max_length=24)
    minutes: int = Field(ge=1, le=120, description="本次学习分钟数")


class ReviewQuestionPublic(SQLModel):
    """An exam question without its answer."""

    id: str
    question: str
    options: dict[str, str]


class ReviewExamCreate(SQLModel):
    """The citizen's answers: question id -> option letter."""

    answers: dict[str, str]


class ReviewExamResult(SQLModel):
    """The exam's score, and the review afterwards."""

    score: int
    passed: bool
    pass_score: int
    review: ReviewStudyPublic
