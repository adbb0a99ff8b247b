"""What the services' bindings share (DESIGN §6): the throttle of refused proofs, and removing a
citizen's bindings one by one or all at once (the consent-withdrawal contract).

Refused proofs are counted per citizen: past the allowed number in the window, every attempt
(right or wrong) is refused with 429 until the oldest refusal leaves the window, so guessing
stays slow. A service keeps its tables in its own metadata::

    class BindingFailure(Table, BindingFailureBase, table=True):
        __tablename__ = "binding_failure"

    BINDINGS = BindingTables(Binding, BindingFailure, log=logging.getLogger("x.bindings"))

and mounts `BINDINGS.internal_router()` for accounts' `DELETE /v1/internal/citizens/{id}/bindings`.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

import sqlmodel
from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import DateTime
from sqlmodel import Session, SQLModel, col, delete, func, select

from servicekit.clock import as_utc
from servicekit.deps import Id, SessionDep
from servicekit.errors import NotFound, TooManyRequests, ValidationFailed
from servicekit.identity import CitizenDep, requires_caller


@dataclass(frozen=True)
class Throttle:
    """How many refused proofs a citizen may make within a window."""

    max_failures: int
    window: timedelta


class BindingThrottleSettings(BaseModel):
    """The binding throttle's settings, mixed into a service's (`<PREFIX>_BINDING_...`)."""

    # Refused binding proofs allowed per citizen within the window before 429.
    binding_max_failures: int = Field(default=5, ge=1)
    binding_failure_window_seconds: int = Field(default=3600, ge=1)

    @property
    def binding_throttle(self) -> Throttle:
        """The binding throttle these settings describe."""
        return Throttle(
            max_failures=self.binding_max_failures,
            window=timedelta(seconds=self.binding_failure_window_seconds),
        )


class BindingFailureBase(SQLModel):
    """One refused binding attempt, counted to throttle guessing."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    citizen_id: str = sqlmodel.Field(max_length=40, index=True)
    failed_at: datetime = sqlmodel.Field(sa_type=DateTime(timezone=True))


class CitizenBinding(Protocol):
    """What the kit reads of a service's binding row."""

    id: int | None
    citizen_id: str


def retry_after_seconds(*, failures: list[datetime], now: datetime, throttle: Throttle) -> int:
    """Seconds until a new attempt is allowed (0 when it is allowed now); times are UTC."""
    recent = sorted(as_utc(t) for t in failures if as_utc(t) > now - throttle.window)
    if len(recent) < throttle.max_failures:
        return 0
    # The attempt becomes allowed when enough of the recent failures have aged out.
    release = recent[len(recent) - throttle.max_failures] + throttle.window
    return max(1, math.ceil((release - now).total_seconds()))


class Attempt(NamedTuple):
    """One citizen's attempt to bind, at a moment, under the service's throttle."""

    citizen_id: str
    now: datetime
    throttle: Throttle


@dataclass(frozen=True)
class BindingTables:
    """A service's binding table and refused-proof table, with what every service does to them."""

    binding: type[Any]
    failure: type[BindingFailureBase]
    log: logging.Logger

    def check_throttle(self, session: Session, attempt: Attempt) -> None:
        """Raise 429 with Retry-After while the citizen has too many recent refused proofs."""
        query = select(self.failure.failed_at).where(
            self.failure.citizen_id == attempt.citizen_id,
            self.failure.failed_at > attempt.now - attempt.throttle.window,
        )
        failures = list(session.exec(query).all())
        wait = retry_after_seconds(failures=failures, now=attempt.now, throttle=attempt.throttle)
        if wait:
            raise TooManyRequests(
                f"核验失败次数过多，请约{math.ceil(wait / 60)}分钟后再试。",
                headers={"Retry-After": str(wait)},
            )

    def refuse(
        self, session: Session, attempt: Attempt, *, detail: str, fields: list[str]
    ) -> ValidationFailed:
        """Count a refused proof and build the 422 that refuses it, naming every proof field
        (never which one was wrong)."""
        session.add(self.failure(citizen_id=attempt.citizen_id, failed_at=attempt.now))
        session.commit()
        self.log.info("binding proof refused", extra={"citizen_id": attempt.citizen_id})
        errors = [
            {"field": f, "in": "body", "message": detail, "type": "proof_mismatch"} for f in fields
        ]
        return ValidationFailed(detail, errors=errors)

    def delete(self, session: Session, *, citizen_id: str, binding_id: int) -> None:
        """Remove one of the citizen's bindings; another's is as unknown as a missing one."""
        binding: CitizenBinding | None = session.get(self.binding, binding_id)
        if binding is None or binding.citizen_id != citizen_id:
            raise NotFound("未找到该绑定。")
        session.delete(binding)
        session.commit()

    def delete_all(self, session: Session, *, citizen_id: str) -> int:
        """Remove every binding (and the refusal count) of a citizen; how many bindings went."""
        count = session.exec(
            select(func.count())
            .select_from(self.binding)
            .where(col(self.binding.citizen_id) == citizen_id)
        ).one()
        session.exec(delete(self.binding).where(col(self.binding.citizen_id) == citizen_id))
        session.exec(delete(self.failure).where(col(self.failure.citizen_id) == citizen_id))
        session.commit()
        return count

    def add_removal_route(self, router: APIRouter, *, summary: str) -> None:
        """Add `DELETE {prefix}/{binding_id}` to the citizens' `router`: the caller removes one of
        their own bindings (204), anyone else's is a 404."""

        @router.delete(
            "/{binding_id}",
            status_code=status.HTTP_204_NO_CONTENT,
            response_class=Response,
            summary=summary,
        )
        def remove_binding(binding_id: Id, citizen: CitizenDep, session: SessionDep) -> Response:
            """Remove one of the calling citizen's bindings."""
            self.delete(session, citizen_id=citizen.subject, binding_id=binding_id)
            return Response(status_code=status.HTTP_204_NO_CONTENT)

    def internal_router(self) -> APIRouter:
        """`DELETE /v1/internal/citizens/{citizen_id}/bindings`, for accounts only."""
        router = APIRouter(prefix="/v1/internal/citizens", tags=["internal"])

        @router.delete(
            "/{citizen_id}/bindings",
            status_code=status.HTTP_204_NO_CONTENT,
            response_class=Response,
            summary="删除市民的全部绑定",
            dependencies=[requires_caller("accounts")],
        )
        def delete_bindings(citizen_id: str, session: SessionDep) -> Response:
            """Delete every binding the citizen holds here; only accounts calls it, after a
            withdrawal.

            Idempotent, because accounts retries it until it gets a 2xx (or 404).
            """
            deleted = self.delete_all(session, citizen_id=citizen_id)
            self.log.info("bindings deleted", extra={"citizen_id": citizen_id, "deleted": deleted})
            return Response(status_code=status.HTTP_204_NO_CONTENT)

        return router
