"""The audit trail of staff writes: one AuditEntry per write, in the write's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from servicekit.clock import utcnow
from weather.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who makes a write (a staff id, or `system` for imports), under which request."""

    subject: str
    request_id: str = ""


SYSTEM = Actor(subject="system")


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    changes: dict[str, Any],
) -> AuditEntry:
    """Add an audit entry to `session`; it commits (or rolls back) with the write it describes."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.subject,
        action=action,
        entity=entity,
        entity_id=entity_id,
        request_id=actor.request_id,
        changes=changes,
    )
    session.add(entry)
    return entry
