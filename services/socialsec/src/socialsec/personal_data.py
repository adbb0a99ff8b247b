"""What socialsec holds on a citizen, for their data export (servicekit.export): the binding,
the bound insured person's record in full, and every read of it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col

from servicekit.export import PersonalData, exported, records
from socialsec import models
from socialsec.access import ACCESS_LOG
from socialsec.bindings import bound


def personal_data(session: Session, citizen_id: str) -> PersonalData:
    """The citizen's binding, the bound person's records (none when unbound) and access log."""
    item = bound(session, citizen_id=citizen_id)
    mine = [] if item is None else [item]
    people = [i.person.id for i in mine]

    def of_person(table: Any) -> list[dict[str, Any]]:
        """The rows of `table` (keyed by person_id) of the bound person."""
        return records(session, table, col(table.person_id).in_(people))

    return {
        "bindings": exported(i.binding for i in mine),
        "binding_failures": records(
            session, models.BindingFailure, models.BindingFailure.citizen_id == citizen_id
        ),
        "insured_persons": exported(i.person for i in mine),
        "social_cards": exported(i.card for i in mine),
        "card_events": records(
            session, models.CardEvent, col(models.CardEvent.card_id).in_([i.card.id for i in mine])
        ),
        "contribution_spans": of_person(models.ContributionSpan),
        "account_entries": of_person(models.AccountEntry),
        "pension_payments": of_person(models.PensionPayment),
        "certificates": of_person(models.Certificate),
        "access_log": exported(ACCESS_LOG.rows(session, citizen_id=citizen_id)),
    }
