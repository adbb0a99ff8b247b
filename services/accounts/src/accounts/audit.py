"""The audit trail of staff writes: one AuditEntry per write, in the write's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from accounts.models import AuditEntry
from servicekit.clock import utcnow


@dataclass(frozen=True)
class Actor:
    """Who makes a staff write, and under which request (X-Request-ID)."""

    subject: str
    request_id: str


def jsonable(value: Any) -> Any:
    """`value` as it is stored in an entry's JSON `changes` (dates as ISO strings)."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def field_changes(*, old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field of `new` whose value differs from `old`."""
    return {
        name: [jsonable(old.get(name)), jsonable(value)]
        for name, value in new.items()
        if old.get(name) != value
    }


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    changes: dict[str, list[Any]],
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
