"""Consent: a citizen's consent per purpose, and what withdrawing it sets in motion.

Withdrawing consent for ANY purpose deletes the citizen's bindings in EVERY service that holds
them (DESIGN §6: "withdrawing it removes bindings everywhere"). Bindings belong to services, not
to purposes, and deleting too much is the privacy-safe direction: the citizen binds again when
they next need a service. The other purposes stay granted.

The withdrawal and its outbox messages commit together, so the deletions cannot be lost. While a
deletion to a purpose's service is still pending, that purpose cannot be granted again: the
late deletion would otherwise remove bindings made under the new consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from accounts.citizens import require_citizen
from accounts.models import Citizen, Consent, OutboxMessage, Purpose
from accounts.outbox import BINDING_SERVICES, DELETE_BINDINGS, enqueue_delete_bindings
from servicekit.clock import as_utc
from servicekit.errors import Conflict, NotFound

# purpose -> (the service whose records it opens, its name for citizens)
PURPOSES: dict[str, tuple[str, str]] = {
    "traffic_records": ("traffic", "查询交通违法记录"),
    "socialsec_records": ("socialsec", "查询社保记录"),
}


@dataclass(frozen=True)
class Deletion:
    """Where the deletion of the citizen's bindings in one service stands."""

    service: str
    status: Literal["pending", "acknowledged"]
    attempts: int
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class ConsentState:
    """A purpose as the citizen sees it: granted, withdrawn or never granted."""

    purpose: str
    title: str
    status: Literal["granted", "withdrawn", "not_granted"]
    granted_at: datetime | None
    withdrawn_at: datetime | None
    deletions: list[Deletion]


def consent_states(session: Session, *, citizen_id: str) -> list[ConsentState]:
    """Every purpose with the citizen's latest consent and its withdrawal's deletions."""
    require_citizen(session, citizen_id=citizen_id)
    return [_state(session, citizen_id=citizen_id, purpose=purpose) for purpose in PURPOSES]


def grant_consent(
    session: Session, *, citizen_id: str, purpose: Purpose, now: datetime
) -> tuple[ConsentState, bool]:
    """Record consent (idempotent); returns the state and whether a new grant was recorded."""
    _lock_citizen(session, citizen_id=citizen_id)
    latest = _latest(session, citizen_id=citizen_id, purpose=purpose)
    if latest is not None and latest.withdrawn_at is None:
        return _state(session, citizen_id=citizen_id, purpose=purpose), False
    service = PURPOSES[purpose][0]
    pending = select(OutboxMessage.id).where(
        OutboxMessage.citizen_id == citizen_id,
        OutboxMessage.kind == DELETE_BINDINGS,
        OutboxMessage.target == service,
        col(OutboxMessage.delivered_at).is_(None),
    )
    if session.exec(pending).first() is not None:
        raise Conflict("上次撤回授权后的数据删除尚未完成，请稍后再授权。")
    session.add(Consent(citizen_id=citizen_id, purpose=purpose, granted_at=now))
    session.commit()
    return _state(session, citizen_id=citizen_id, purpose=purpose), True


def withdraw_consent(
    session: Session, *, citizen_id: str, purpose: Purpose, now: datetime
) -> tuple[ConsentState, list[int]]:
    """Withdraw consent and queue binding deletions everywhere; returns the new messages' ids."""
    _lock_citizen(session, citizen_id=citizen_id)
    active = session.exec(
        select(Consent).where(
            Consent.citizen_id == citizen_id,
            Consent.purpose == purpose,
            col(Consent.withdrawn_at).is_(None),
        )
    ).all()
    if not active:
        if _latest(session, citizen_id=citizen_id, purpose=purpose) is None:
            raise NotFound("您尚未授权该用途，无需撤回。")
        return _state(session, citizen_id=citizen_id, purpose=purpose), []
    for consent in active:
        consent.withdrawn_at = now
        session.add(consent)
    messages = enqueue_delete_bindings(session, citizen_id=citizen_id, now=now)
    session.commit()
    ids = [m.id for m in messages if m.id is not None]
    return _state(session, citizen_id=citizen_id, purpose=purpose), ids


def _lock_citizen(session: Session, *, citizen_id: str) -> None:
    """404 for an unknown citizen; on PostgreSQL, serialise this citizen's consent changes."""
    # NO KEY UPDATE: does not block inserts that merely reference the citizen (see followers).
    query = select(Citizen.id).where(Citizen.id == citizen_id).with_for_update(key_share=True)
    if session.exec(query).first() is None:
        raise NotFound("未找到该市民的身份记录，请重新通过微信登录。")


def _latest(session: Session, *, citizen_id: str, purpose: str) -> Consent | None:
    query = (
        select(Consent)
        .where(Consent.citizen_id == citizen_id, Consent.purpose == purpose)
        .order_by(col(Consent.granted_at).desc(), col(Consent.id).desc())
    )
    return session.exec(query).first()


def _state(session: Session, *, citizen_id: str, purpose: str) -> ConsentState:
    title = PURPOSES[purpose][1]
    latest = _latest(session, citizen_id=citizen_id, purpose=purpose)
    if latest is None:
        return ConsentState(purpose, title, "not_granted", None, None, [])
    if latest.withdrawn_at is None:
        return ConsentState(purpose, title, "granted", latest.granted_at, None, [])
    return ConsentState(
        purpose,
        title,
        "withdrawn",
        latest.granted_at,
        latest.withdrawn_at,
        _deletions(session, citizen_id=citizen_id, withdrawn_at=latest.withdrawn_at),
    )


def _deletions(session: Session, *, citizen_id: str, withdrawn_at: datetime) -> list[Deletion]:
    """The deletions queued by the withdrawal at `withdrawn_at` (written with that same time)."""
    messages = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.citizen_id == citizen_id, OutboxMessage.kind == DELETE_BINDINGS
        )
    ).all()
    moment = as_utc(withdrawn_at)
    by_service = {m.target: m for m in messages if as_utc(m.created_at) == moment}
    return [
        Deletion(
            service=service,
            status="pending" if message.delivered_at is None else "acknowledged",
            attempts=message.attempts,
            acknowledged_at=message.delivered_at,
        )
        for service in BINDING_SERVICES
        if (message := by_service.get(service)) is not None
    ]
