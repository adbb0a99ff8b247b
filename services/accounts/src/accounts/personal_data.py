"""What accounts holds on a citizen, for their data export (servicekit.export): the citizen,
their openid with each account, follows and follow events, consents, deletions asked of other
services after a withdrawal, and the access log."""

from __future__ import annotations

from sqlmodel import Session, col, select

from accounts.access import ACCESS_LOG
from accounts.models import (
    Citizen,
    CitizenOpenid,
    Consent,
    Follower,
    FollowerEvent,
    OutboxMessage,
)
from servicekit.export import PersonalData, exported, records


def personal_data(session: Session, citizen_id: str) -> PersonalData:
    """Everything accounts keeps about the citizen, openids in full."""
    openids = select(CitizenOpenid.openid).where(CitizenOpenid.citizen_id == citizen_id)
    return {
        "citizens": records(session, Citizen, Citizen.id == citizen_id),
        "openids": records(session, CitizenOpenid, CitizenOpenid.citizen_id == citizen_id),
        "follows": records(session, Follower, col(Follower.openid).in_(openids)),
        "follow_events": records(session, FollowerEvent, col(FollowerEvent.openid).in_(openids)),
        "consents": records(session, Consent, Consent.citizen_id == citizen_id),
        "binding_deletions": records(
            session, OutboxMessage, OutboxMessage.citizen_id == citizen_id
        ),
        "access_log": exported(ACCESS_LOG.rows(session, citizen_id=citizen_id)),
    }
