"""The audit trail of staff writes: one entry per write, in the write's own transaction.

Each service keeps its own `audit_entry` table in its own metadata::

    class AuditEntry(Table, AuditEntryBase, table=True):
        __tablename__ = "audit_entry"

writes with `AuditEntry.record(...)`, names its writers with `staff_actor(role)` and serves
`GET /v1/audit` with `audit_router(AuditEntry, ...)`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Self, TypedDict, Unpack

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, field_validator
from sqlalchemy import JSON, DateTime
from sqlmodel import Field, Session, SQLModel, col, select

from servicekit.clock import local, utcnow
from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.identity import Identity, requires_staff


@dataclass(frozen=True)
class Actor:
    """Who makes a write (a staff id, or `system` for imports), under which request."""

    subject: str
    request_id: str = ""


SYSTEM = Actor(subject="system")


def staff_actor(role: str) -> Callable[..., Actor]:
    """FastAPI dependency factory: the calling staff member holding `role`, as a write's actor;
    a citizen or service token is refused even with the role."""

    def actor(request: Request, identity: Identity = requires_staff(role)) -> Actor:
        return Actor(subject=identity.subject, request_id=request.state.request_id)

    return actor


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


class AuditedWrite(TypedDict):
    """What one staff write did: its action, on which entity and record, with which changes."""

    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]


class AuditEntryBase(SQLModel):
    """The columns of one staff write: who did what to which record, when, under which request."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64, index=True)
    request_id: str = Field(default="", max_length=128)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)

    @classmethod
    def record(cls, *, session: Session, actor: Actor, **write: Unpack[AuditedWrite]) -> Self:
        """Add an entry to `session`; it commits (or rolls back) with the write it describes."""
        entry = cls(at=utcnow(), actor=actor.subject, request_id=actor.request_id, **write)
        session.add(entry)
        return entry


class AuditEntryPublic(BaseModel):
    """One staff write."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    request_id: str
    changes: dict[str, Any]

    @field_validator("at")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        return local(value)


def audit_router(
    table: type[AuditEntryBase],
    *,
    reader: Callable[..., Any],
    description: str,
    entities: str,
    entity_id_example: str,
) -> APIRouter:
    """`GET /v1/audit` over `table`, newest first, for staff that `reader` lets in."""
    router = APIRouter(prefix="/v1/audit", tags=["audit"])

    @router.get(
        "",
        response_model=Page[AuditEntryPublic],
        summary="审计日志",
        description=description,
        dependencies=[Depends(reader)],
    )
    def list_audit(
        session: SessionDep,
        page: PageDep,
        entity: Annotated[str | None, Query(description=entities)] = None,
        entity_id: Annotated[
            str | None, Query(description=f"记录的标识，如{entity_id_example}")
        ] = None,
    ) -> Page[AuditEntryPublic]:
        """Audit entries, optionally of one entity or record, newest first."""
        query = select(table)
        if entity:
            query = query.where(col(table.entity) == entity)
        if entity_id:
            query = query.where(col(table.entity_id) == entity_id)
        return paginate(
            session, query, page, order_by=col(table.id).desc(), public=AuditEntryPublic
        )

    return router
