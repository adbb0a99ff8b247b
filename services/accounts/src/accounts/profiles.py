"""A citizen as the gateway sees them (their openids) and as they see themselves (/v1/me)."""

from __future__ import annotations

from sqlmodel import Session

from accounts.citizens import citizen_openids, is_provisional, require_citizen
from accounts.consents import consent_states
from accounts.public import CitizenDetail, MeOut, consent_out, openid_public


def citizen_detail(session: Session, *, citizen_id: str) -> CitizenDetail:
    """A citizen and the openid they have with each account; 404 if unknown."""
    citizen = require_citizen(session, citizen_id=citizen_id)
    return CitizenDetail(
        citizen_id=citizen.id,
        provisional=is_provisional(citizen),
        openids=[openid_public(m) for m in citizen_openids(session, citizen_id=citizen.id)],
    )


def my_profile(session: Session, *, citizen_id: str) -> MeOut:
    """The citizen's id, their openids masked, and their consent for each purpose."""
    citizen = require_citizen(session, citizen_id=citizen_id)
    return MeOut(
        citizen_id=citizen.id,
        provisional=is_provisional(citizen),
        openids=[
            openid_public(m, masked=True) for m in citizen_openids(session, citizen_id=citizen.id)
        ],
        consents=[consent_out(s) for s in consent_states(session, citizen_id=citizen.id)],
    )
