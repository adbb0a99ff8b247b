"""What traffic holds on a citizen, for their data export (servicekit.export): bindings, the
bound vehicles and licence in full with their records, payments, appointments, access log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from servicekit.export import PersonalData, exported, records
from traffic import models
from traffic.access import ACCESS_LOG
from traffic.bindings import bound_items


def personal_data(session: Session, citizen_id: str) -> PersonalData:
    """Everything traffic keeps about the citizen or what they bound, unmasked."""
    items = bound_items(session, citizen_id=citizen_id)
    vehicles = [i.vehicle for i in items if i.vehicle is not None]
    licences = [i.licence for i in items if i.licence is not None]
    licence_ids = [licence.id for licence in licences]
    # A violation is theirs when their vehicle committed it or it was charged to their licence.
    decision = models.PenaltyDecision
    charged = select(decision.violation_id).where(col(decision.licence_id).in_(licence_ids))
    violation = models.Violation
    theirs = or_(
        col(violation.vehicle_id).in_([v.id for v in vehicles]), col(violation.id).in_(charged)
    )
    orders = select(models.PaymentOrder.id).where(models.PaymentOrder.citizen_id == citizen_id)

    def of_licence(table: Any) -> list[dict[str, Any]]:
        """The rows of `table` (keyed by licence_id) of the bound licence."""
        return records(session, table, col(table.licence_id).in_(licence_ids))

    def of_order(table: Any) -> list[dict[str, Any]]:
        """The rows of `table` (keyed by payment_id) of the citizen's payment orders."""
        return records(session, table, col(table.payment_id).in_(orders))

    def of_citizen(table: Any) -> list[dict[str, Any]]:
        """The rows of `table` keyed by the citizen's id."""
        return records(session, table, col(table.citizen_id) == citizen_id)

    return {
        "bindings": exported(i.binding for i in items),
        "binding_failures": of_citizen(models.BindingFailure),
        "vehicles": exported(vehicles),
        "driver_licences": exported(licences),
        "violations": records(session, violation, theirs),
        "penalty_decisions": records(
            session, decision, col(decision.violation_id).in_(select(violation.id).where(theirs))
        ),
        "point_studies": of_licence(models.PointStudy),
        "full_score_records": of_licence(models.FullScoreRecord),
        "review_study_records": of_licence(models.ReviewStudyRecord),
        "review_completions": of_licence(models.ReviewCompletion),
        "payment_orders": of_citizen(models.PaymentOrder),
        "payment_events": of_order(models.PaymentEvent),
        "payment_refunds": of_order(models.PaymentRefund),
        "payment_notices": of_order(models.PaymentNotice),
        "appointments": of_citizen(models.Appointment),
        "access_log": exported(ACCESS_LOG.rows(session, citizen_id=citizen_id)),
    }
