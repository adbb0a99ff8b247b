"""Domain objects turned into the API's public models, with personal data masked."""

from __future__ import annotations

from datetime import date

from servicekit.clock import local
from traffic.bindings import BoundItem
from traffic.licences import Standing
from traffic.models import BindingPublic, DecisionPublic, LicencePublic, ViolationPublic
from traffic.records import ViolationRecord, amount_due_on, overdue_days_on, violation_status


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


def violation_public(record: ViolationRecord, *, on: date) -> ViolationPublic:
    """A violation record as of day `on`."""
    violation, decision = record.violation, record.decision
    assert violation.id is not None
    due = amount_due_on(fine_fen=violation.fine_fen, decision=decision, on=on)
    fine = violation.fine_fen if decision is None else decision.fine_fen
    return ViolationPublic(
        id=violation.id,
        plate=record.vehicle.plate,
        code=violation.code,
        description=record.code.description,
        occurred_at=local(violation.occurred_at),
        place=violation.place,
        points=violation.points,
        fine_fen=violation.fine_fen,
        status=violation_status(decision=decision),
        decision_number=None if decision is None else decision.number,
        decided_on=None if decision is None else decision.decided_on,
        due_on=None if decision is None else decision.due_on,
        paid_on=None if decision is None else decision.paid_on,
        overdue_days=overdue_days_on(decision=decision, on=on),
        surcharge_fen=due - fine if due else 0,
        amount_due_fen=due,
    )


def decision_public(record: ViolationRecord, *, on: date) -> DecisionPublic:
    """The decision of a decided violation and what it costs on day `on`."""
    decision = record.decision
    assert decision is not None
    due = amount_due_on(fine_fen=decision.fine_fen, decision=decision, on=on)
    return DecisionPublic(
        number=decision.number,
        violation_id=decision.violation_id,
        code=record.code.code,
        description=record.code.description,
        points=decision.points,
        fine_fen=decision.fine_fen,
        decided_on=decision.decided_on,
        due_on=decision.due_on,
        status=violation_status(decision=decision),
        paid_on=decision.paid_on,
        on=on,
        overdue_days=overdue_days_on(decision=decision, on=on),
        surcharge_fen=due - decision.fine_fen if due else 0,
        amount_due_fen=due,
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
