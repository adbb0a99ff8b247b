"""`/v1/me/consents`: a citizen grants and withdraws consent for each purpose."""

from fastapi import APIRouter, BackgroundTasks, Response, status
from pydantic import BaseModel

from accounts.access import ACCESS_LOG
from accounts.consents import Purpose, consent_states, grant_consent, withdraw_consent
from accounts.outbox import OutboxDep
from accounts.public import ConsentOut, consent_out
from servicekit.clock import utcnow
from servicekit.deps import SessionDep
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me/consents", tags=["consents"])


class ConsentList(BaseModel):
    """Every purpose the citizen can consent to."""

    items: list[ConsentOut]


class ConsentRequest(BaseModel):
    """The purpose to consent to."""

    purpose: Purpose


@router.get("", summary="我的授权", dependencies=[ACCESS_LOG.logs("consents")])
def list_consents(citizen: CitizenDep, session: SessionDep) -> ConsentList:
    """Every purpose with the citizen's consent and, after a withdrawal, its deletions."""
    states = consent_states(session, citizen_id=citizen.subject)
    return ConsentList(items=[consent_out(s) for s in states])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="授权",
    responses={200: {"description": "此前已授权，未重复记录"}},
)
def post_consent(
    body: ConsentRequest, citizen: CitizenDep, session: SessionDep, response: Response
) -> ConsentOut:
    """Consent to a purpose; 201 when recorded, 200 when it was already granted."""
    state, created = grant_consent(
        session, citizen_id=citizen.subject, purpose=body.purpose, now=utcnow()
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return consent_out(state)


@router.delete("/{purpose}", summary="撤回授权")
def delete_consent(
    purpose: Purpose,
    citizen: CitizenDep,
    session: SessionDep,
    outbox: OutboxDep,
    background: BackgroundTasks,
) -> ConsentOut:
    """Withdraw consent; every service is told to delete the citizen's bindings."""
    state, message_ids = withdraw_consent(
        session, citizen_id=citizen.subject, purpose=purpose, now=utcnow()
    )
    if message_ids:
        # Right after the response: a service that is up acknowledges at once; the outbox loop
        # retries the others.
        background.add_task(outbox.deliver_due, ids=message_ids)
    return consent_out(state)
