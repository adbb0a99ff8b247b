"""Domain objects turned into the API's public models, with personal data masked: every
`*_public` mapper of the service is here, so routes and answers show the same thing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlmodel import SQLModel

from servicekit.clock import local
from servicekit.deps import PageParams
from traffic.appointments import Booking, appointment_number
from traffic.bindings import BoundItem
from traffic.licences import Standing
from traffic.models import (
    AppointmentBusinessPublic,
    AppointmentPublic,
    AppointmentSlot,
    BindingPublic,
    DecisionCreated,
    DecisionPublic,
    LicencePublic,
    OfficePublic,
    PointStudy,
    PointStudyPublic,
    ReviewCompletion,
    ReviewCompletionPublic,
    ReviewCoursePublic,
    ReviewExamResult,
    ReviewQuestionPublic,
    ReviewStudyPublic,
    RoadConditionsPage,
    RoadSegmentPublic,
    SlotPublic,
    ViolationPage,
    ViolationPublic,
    ViolationStatus,
)
from traffic.models import payments as pay
from traffic.payments.states import is_finished, status_text
from traffic.records import ViolationRecord, amount_due_on, overdue_days_on, violation_status
from traffic.review import COURSES, PASS_SCORE, QUESTIONS, REQUIRED_MINUTES, Review
from traffic.review import STATUS_TEXT as REVIEW_STATUS_TEXT
from traffic.roadmap import STATUS_COLOUR
from traffic.roads import (
    ROAD_CLASS_TEXT,
    CityConditions,
    SegmentCondition,
    index_level,
    road_summary,
)
from traffic.roads import STATUS_TEXT as ROAD_STATUS_TEXT

P = TypeVar("P", bound=SQLModel)


def mask_name(name: str) -> str:
    """A name as shown back to citizens: the surname, then one asterisk per other character."""
    return name[:1] + "*" * (len(name) - 1)


def mask_id_number(number: str) -> str:
    """An ID or licence number as shown back to citizens: its first and last four characters."""
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def binding_public(item: BoundItem) -> BindingPublic:
    """A binding with the plate, or the masked licence, it points to."""
    binding, vehicle, licence = item.binding, item.vehicle, item.licence
    assert binding.id is not None
    if vehicle is not None:
        return BindingPublic(
            id=binding.id,
            kind="vehicle",
            plate=vehicle.plate,
            vehicle_type=vehicle.vehicle_type,
            created_at=local(binding.created_at),
        )
    assert licence is not None
    return BindingPublic(
        id=binding.id,
        kind="licence",
        licence_number=mask_id_number(licence.licence_number),
        licence_class=licence.licence_class,
        holder_name=mask_name(licence.holder_name),
        created_at=local(binding.created_at),
    )


def _local_or_none(value: datetime | None) -> datetime | None:
    """`local` of a time that may not have happened yet."""
    return None if value is None else local(value)


def _public(model: type[P], row: SQLModel, *, times: Iterable[str], **update: Any) -> P:
    """`row` as the public `model`: its stored `times` in Asia/Shanghai, other fields `update`d."""
    shown = {name: _local_or_none(getattr(row, name)) for name in times}
    return model.model_validate(row, update=shown | update)


def _settlement(record: ViolationRecord, *, fine_fen: int, on: date) -> dict[str, Any]:
    """Status, overdue days, surcharge and amount due on day `on` of a record charged `fine_fen`.

    The fields violations and decisions show alike, computed once for both.
    """
    decision = record.decision
    due = amount_due_on(fine_fen=fine_fen, decision=decision, on=on)
    fine = fine_fen if decision is None else decision.fine_fen
    return {
        "status": violation_status(decision=decision),
        "overdue_days": overdue_days_on(decision=decision, on=on),
        "surcharge_fen": due - fine if due else 0,
        "amount_due_fen": due,
    }


def violation_public(record: ViolationRecord, *, on: date) -> ViolationPublic:
    """A violation record as of day `on`."""
    violation, decision = record.violation, record.decision
    update = {
        "plate": record.vehicle.plate,
        "description": record.code.description,
        **_settlement(record, fine_fen=violation.fine_fen, on=on),
    }
    if decision is not None:
        # Undecided, the decision's number and days keep their default, None.
        update |= decision.model_dump(include={"decided_on", "due_on", "paid_on"})
        update["decision_number"] = decision.number
    return _public(ViolationPublic, violation, times=("occurred_at",), **update)


def decision_public(record: ViolationRecord, *, on: date) -> DecisionPublic:
    """The decision of a decided violation and what it costs on day `on`."""
    decision = record.decision
    assert decision is not None
    return DecisionPublic.model_validate(
        decision,
        update={
            "code": record.code.code,
            "description": record.code.description,
            "on": on,
            **_settlement(record, fine_fen=decision.fine_fen, on=on),
        },
    )


def decision_created_public(
    record: ViolationRecord, standing: Standing, *, on: date
) -> DecisionCreated:
    """A decision just made, priced on day `on`, with the licence's points afterwards."""
    return DecisionCreated(
        **decision_public(record, on=on).model_dump(), licence_points=standing.points
    )


def licence_public(standing: Standing) -> LicencePublic:
    """A licence's standing, holder data masked."""
    licence = standing.licence
    if standing.locked:
        text = f"本记分周期已记满12分，驾驶证暂扣，须参加{standing.study_days}天满分学习并考试。"
    else:
        text = "正常"
    return LicencePublic(
        licence_number=mask_id_number(licence.licence_number),
        holder_name=mask_name(licence.holder_name),
        licence_class=licence.licence_class,
        first_issued_on=licence.first_issued_on,
        cycle_start=standing.cycle.start,
        cycle_end=standing.cycle.end,
        points=standing.points,
        carried_over_points=standing.carried_over,
        studied_points=standing.studied,
        status="locked" if standing.locked else "normal",
        status_text=text,
        study_days=standing.study_days,
        can_study_to_reduce=standing.study_refusal is None,
        study_refusal=standing.study_refusal,
    )


def violation_page(
    records: list[ViolationRecord], *, page: PageParams, wanted: ViolationStatus | None, on: date
) -> ViolationPage:
    """One page of `records` (filtered by status) with the amount due over all of them.

    Paged here rather than in SQL: the status and the amount due are computed on day `on`.
    """
    items = [
        violation_public(r, on=on)
        for r in records
        if wanted is None or violation_status(decision=r.decision) == wanted
    ]
    return ViolationPage(
        items=items[page.offset : page.offset + page.limit],
        total=len(items),
        on=on,
        amount_due_fen=sum(i.amount_due_fen for i in items),
    )


def point_study_public(study: PointStudy, standing: Standing) -> PointStudyPublic:
    """What a study removed, and the licence afterwards."""
    return PointStudyPublic(
        kind=study.kind,
        points_reduced=study.points,
        studied_on=study.studied_on,
        licence=licence_public(standing),
    )


# Appointments.


def booking_public(booking: Booking) -> AppointmentPublic:
    """A booking as its citizen sees it."""
    appointment, slot = booking.appointment, booking.slot
    assert appointment.id is not None
    return AppointmentPublic(
        id=appointment.id,
        number=appointment_number(appointment_id=appointment.id, starts_at=slot.starts_at),
        status=appointment.status,
        business=AppointmentBusinessPublic.model_validate(booking.business, from_attributes=True),
        office=OfficePublic.model_validate(booking.office, from_attributes=True),
        starts_at=local(slot.starts_at),
        ends_at=local(slot.ends_at),
        created_at=local(appointment.created_at),
        cancelled_at=_local_or_none(appointment.cancelled_at),
    )


def bookings_public(rows: Sequence[Any]) -> list[AppointmentPublic]:
    """Rows of `traffic.appointments.bookings_query` as bookings."""
    return [booking_public(Booking(*row)) for row in rows]


def slots_public(slots: Sequence[AppointmentSlot]) -> list[SlotPublic]:
    """Slots with the places left."""
    return [slot_public(s) for s in slots]


def slot_public(slot: AppointmentSlot) -> SlotPublic:
    """A bookable hour and the places left."""
    return _public(
        SlotPublic, slot, times=("starts_at", "ends_at"), remaining=slot.capacity - slot.booked
    )


# Review study.


def completion_public(completion: ReviewCompletion) -> ReviewCompletionPublic:
    """A completion record with its time in Asia/Shanghai."""
    return _public(ReviewCompletionPublic, completion, times=("completed_at",))


def completions_public(completions: Sequence[ReviewCompletion]) -> list[ReviewCompletionPublic]:
    """Completion records with their times in Asia/Shanghai."""
    return [completion_public(c) for c in completions]


def review_public(review: Review) -> ReviewStudyPublic:
    """A review as the API shows it."""
    return ReviewStudyPublic(
        licence_class=review.licence.licence_class,
        cycle_start=review.cycle.start,
        cycle_end=review.cycle.end,
        cycle_points=review.points,
        due_by=review.due_by,
        status=review.status,
        status_text=REVIEW_STATUS_TEXT[review.status],
        required_minutes=REQUIRED_MINUTES,
        studied_minutes=review.studied_minutes,
        previous_overdue=review.previous_overdue,
        courses=[
            ReviewCoursePublic(
                code=c.code,
                title=c.title,
                minutes=c.minutes,
                studied_minutes=review.studied.get(c.code, 0),
            )
            for c in COURSES
        ],
        completion=None if review.completion is None else completion_public(review.completion),
    )


def exam_questions_public() -> list[ReviewQuestionPublic]:
    """The exam's questions, without answers."""
    return [
        ReviewQuestionPublic(id=q.id, question=q.question, options=q.options) for q in QUESTIONS
    ]


def exam_result_public(score: int, review: Review) -> ReviewExamResult:
    """The exam's score, and the review afterwards."""
    return ReviewExamResult(
        score=score, passed=score >= PASS_SCORE, pass_score=PASS_SCORE, review=review_public(review)
    )


# Road conditions.


def segment_public(condition: SegmentCondition) -> RoadSegmentPublic:
    """A segment's condition as the API shows it."""
    segment = condition.segment
    return RoadSegmentPublic.model_validate(
        segment,
        from_attributes=True,
        update={
            "road_class_text": ROAD_CLASS_TEXT[segment.road_class],
            "speed_kmh": condition.speed_kmh,
            "status": condition.status,
            "status_text": ROAD_STATUS_TEXT[condition.status],
            "colour": STATUS_COLOUR[condition.status],
        },
    )


def road_conditions_page(
    conditions: CityConditions, items: list[SegmentCondition], *, page: PageParams
) -> RoadConditionsPage:
    """One page of `items` at the snapshot, with the city's index over all segments."""
    congested, clear = road_summary(conditions=conditions.segments)
    return RoadConditionsPage(
        snapshot_at=conditions.snapshot_at,
        index=conditions.index,
        index_level=index_level(index=conditions.index),
        congested_roads=congested,
        clear_roads=clear,
        items=[segment_public(c) for c in items[page.offset : page.offset + page.limit]],
        total=len(items),
    )


# Payments.


def payment_state(status: pay.PaymentStatus, failure_reason: str | None) -> pay.PaymentState:
    """A payment's status, whether it is finished, and why it failed."""
    return pay.PaymentState(
        status=status, finished=is_finished(status), failure_reason=failure_reason
    )


def refund_summary(order: pay.PaymentOrder, refunds: list[pay.PaymentRefund]) -> pay.RefundSummary:
    """What of a payment can still be refunded (GOV.UK Pay's refund summary)."""
    available = order.amount_fen - order.refund_reserved_fen if order.status == "success" else 0
    pending = any(r.status == "submitted" for r in refunds)
    if order.status != "success":
        summary = "unavailable"
    elif pending:
        summary = "pending"
    elif available == 0:
        summary = "full"
    else:
        summary = "available"
    return pay.RefundSummary(
        status=summary,
        amount_available_fen=available,
        amount_submitted_fen=sum(r.amount_fen for r in refunds if r.status != "error"),
        amount_refunded_fen=order.refunded_fen,
    )


def payment_public(order: pay.PaymentOrder, refunds: list[pay.PaymentRefund]) -> pay.PaymentPublic:
    """A payment order with its state and refund summary; times in Asia/Shanghai."""
    return _public(
        pay.PaymentPublic,
        order,
        times=("created_at", "expires_at", "paid_at"),
        state=payment_state(order.status, order.failure_reason),
        status_text=status_text(order),
        under_review=order.flagged,
        refund_summary=refund_summary(order, refunds),
    )


def payment_event_public(event: pay.PaymentEvent) -> pay.PaymentEventPublic:
    """One entry of a payment's history."""
    return pay.PaymentEventPublic(
        id=event.id or 0,
        type=event.type,
        state=payment_state(event.status, None),
        source=event.source,
        detail=event.detail,
        at=local(event.at),
    )


def refund_public(refund: pay.PaymentRefund) -> pay.RefundPublic:
    """A refund as its officer (or the payer) sees it."""
    return _public(pay.RefundPublic, refund, times=("created_at", "finished_at"))
