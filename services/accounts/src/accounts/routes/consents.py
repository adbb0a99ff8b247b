"""`/v1/me/consents`: a citizen grants and withdraws consent for each purpose."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from pydantic import BaseModel, Field

from accounts.clock import local
from accounts.consents import (
    ConsentState,
    Purpose,
    consent_states,
    grant_consent,
    withdraw_consent,
)
from accounts.outbox import OutboxDispatcher
from servicekit.clock import utcnow
from servicekit.deps import SessionDep
from servicekit.identity import CitizenDep

router = APIRouter(prefix="/v1/me/consents", tags=["consents"])


class DeletionOut(BaseModel):
    """The deletion of the citizen's bindings in one service after a withdrawal."""

    service: str = Field(description="traffic | socialsec")
    status: Literal["pending", "acknowledged"] = Field(
        description="pending 删除中 | acknowledged 已删除"
    )
    attempts: int = Field(description="已尝试通知的次数")
    acknowledged_at: datetime | None


class ConsentOut(BaseModel):
    """One purpose: whether the citizen consents, since when, and the deletions of a withdrawal."""

    purpose: str
    title: str
    status: Literal["granted", "withdrawn", "not_granted"]
    granted_at: datetime | None
    withdrawn_at: datetime | None
    deletions: list[DeletionOut]


class ConsentList(BaseModel):
    """Every purpose the citizen can consent to."""

    items: list[ConsentOut]


class ConsentRequest(BaseModel):
    """The purpose to consent to."""

    purpose: Purpose


def consent_out(state: ConsentState) -> ConsentOut:
    """The citizen-facing form of a consent state (times in Asia/Shanghai)."""
    return ConsentOut(
        purpose=state.purpose,
        title=state.title,
        status=state.status,
        granted_at=local(state.granted_at),
        withdrawn_at=local(state.withdrawn_at),
        deletions=[
            DeletionOut(
                service=d.service,
                status=d.status,
                attempts=d.attempts,
                acknowledged_at=local(d.acknowledged_at),
            )
            for d in state.deletions
        ],
    )


@router.get("", response_model=ConsentList, summary="我的授权")
def list_consents(citizen: CitizenDep, session: SessionDep) -> ConsentList:
    """Every purpose with the citizen's consent and, after a withdrawal, its deletions."""
    states = consent_states(session, citizen_id=citizen.subject)
    return ConsentList(items=[consent_out(s) for s in states])


@router.post(
    "",
    response_model=ConsentOut,
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


@router.delete("/{purpose}", response_model=ConsentOut, summary="撤回授权")
def delete_consent(
    purpose: Purpose,
    citizen: CitizenDep,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> ConsentOut:
    """Withdraw consent; every service is told to delete the citizen's bindings."""
    state, message_ids = withdraw_consent(
        session, citizen_id=citizen.subject, purpose=purpose, now=utcnow()
    )
    if message_ids:
        # Right after the response: a service that is up acknowledges at once; the outbox loop
        # retries the others.
        dispatcher: OutboxDispatcher = request.app.state.outbox
        background.add_task(dispatcher.deliver_due, ids=message_ids)
    return consent_out(state)
