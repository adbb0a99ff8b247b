"""Demo citizens: the sandbox's simulated people under the citizen_ids the other services seed."""

from sqlmodel import Session

from accounts.models import Citizen
from servicekit.clock import utcnow
from wechat.demo_citizens import DEMO_CITIZENS


def seed_demo_citizens(*, session: Session) -> str:
    """Create the demo citizens keyed by their unionid (existing ones are left as they are)."""
    created = 0
    for person in DEMO_CITIZENS:
        if session.get(Citizen, person.citizen_id) is None:
            session.add(Citizen(id=person.citizen_id, unionid=person.unionid, created_at=utcnow()))
            created += 1
    session.commit()
    return f"{created} demo citizens created ({len(DEMO_CITIZENS)} in all)"
