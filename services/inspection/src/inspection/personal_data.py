"""What inspection holds on a citizen, for their data export (servicekit.export)."""

from __future__ import annotations

from sqlmodel import Session

from inspection.contacts import units_of
from inspection.models import Application, BindingFailure
from servicekit.clock import local
from servicekit.export import PersonalData, records


def personal_data(session: Session, citizen_id: str) -> PersonalData:
    """The citizen's unit bindings (with each unit's code and name), refused proofs and the
    applications they submitted."""
    return {
        "contacts": [
            {
                "id": contact.id,
                "unit_code": unit.credit_code,
                "unit_name": unit.name,
                "bound_at": local(contact.created_at),
            }
            for contact, unit in units_of(session, citizen_id=citizen_id)
        ],
        "binding_failures": records(
            session, BindingFailure, BindingFailure.citizen_id == citizen_id
        ),
        "applications": records(session, Application, Application.applicant_id == citizen_id),
    }
