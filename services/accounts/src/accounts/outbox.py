"""The outbox: calls another service must acknowledge, retried until it does.

A message is written in the same transaction as the change that causes it, so a committed change
always has its messages and nothing is lost while a service is down. The only kind so far is
`delete_bindings`: `DELETE {service}/v1/internal/citizens/{citizen_id}/bindings` with a service
token (caller `accounts`, audience the target). Only a 2xx answer acknowledges it: the endpoint
answers 204 even when nothing is left to delete, so a 404 (or a redirect, never followed) means
the request reached something else, and the bindings are still there.

Delivery happens (1) right after a withdrawal commits, for that withdrawal's own messages;
(2) in a loop started by the app's lifespan, every `outbox_interval_seconds`; (3) with
`python -m accounts deliver-outbox`, for cron. A failed attempt records its error and waits
base·2^(n-1) seconds (capped) before the next one, with an alert log; there is no last attempt.
Staff see what is undelivered at `GET /v1/outbox`.

Several replicas and the CLI may deliver at once: a pass claims due rows (on PostgreSQL with
SELECT … FOR UPDATE SKIP LOCKED, so claimers never wait on each other) by moving their
`next_attempt_at` a lease ahead with a conditional UPDATE, and commits before any HTTP call. The
conditional UPDATE alone keeps claims exclusive on SQLite. A claim records its owner (the
process's `outbox_instance` and role); a claimer that dies mid-delivery leaves its rows due again
when the lease ends, or at once when it starts again under the same name (`release_own_leases`).
Delivery is therefore at least once; the receivers' deletions are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

import httpx
from fastapi import Depends, FastAPI, Request
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from accounts.models import OutboxMessage
from accounts.public import OutboxEntry, with_age
from accounts.settings import AccountsSettings
from servicekit.background import run_periodically
from servicekit.clock import utcnow
from servicekit.db import make_engine
from servicekit.deps import Page, PageParams, app_settings, paginate
from servicekit.identity import service_token
from servicekit.logging import request_id_var
from servicekit.state import engine_of
from servicekit.tracing import propagation_headers

log = logging.getLogger("accounts.outbox")
# The `alert` field of log lines someone must look at (a deletion not acknowledged).
ALERT = "outbox_alert"

DELETE_BINDINGS = "delete_bindings"
# Every service that stores bindings keyed by citizen_id (DESIGN §6); weather holds none.
BINDING_SERVICES = ("traffic", "socialsec", "inspection")
# Longer than a pass holds its claims (a failing target costs one timeout, then is skipped for
# the rest of the pass). Should a pass outlive it, a second delivery is harmless: deleting
# bindings is idempotent.
LEASE = timedelta(seconds=60)
MAX_ERROR_LENGTH = 500
# 2**30 seconds is far beyond any sensible cap; bounding the exponent avoids float overflow.
MAX_BACKOFF_EXPONENT = 30


def enqueue_delete_bindings(
    session: Session, *, citizen_id: str, now: datetime
) -> list[OutboxMessage]:
    """Add one delete_bindings message per binding service (the caller commits them)."""
    messages = [
        OutboxMessage(
            kind=DELETE_BINDINGS,
            target=target,
            citizen_id=citizen_id,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        for target in BINDING_SERVICES
    ]
    session.add_all(messages)
    session.flush()
    return messages


def outbox_page(
    session: Session, *, page: PageParams, state: Literal["pending", "delivered"], now: datetime
) -> Page[OutboxEntry]:
    """Messages not yet delivered, oldest first, or delivered ones, newest first, with ages."""
    query = select(OutboxMessage)
    if state == "pending":
        query = query.where(col(OutboxMessage.delivered_at).is_(None))
        order_by = col(OutboxMessage.id)
    else:
        query = query.where(col(OutboxMessage.delivered_at).is_not(None))
        order_by = col(OutboxMessage.id).desc()
    found = paginate(session, query, page, order_by=order_by, public=OutboxEntry)
    return Page(items=[with_age(e, now) for e in found.items], total=found.total)


def backoff_seconds(*, failures: int, base: float, cap: float) -> float:
    """Delay after the `failures`-th failed attempt in a row: base·2^(failures-1), at most cap."""
    exponent = min(max(failures - 1, 0), MAX_BACKOFF_EXPONENT)
    return min(cap, base * 2**exponent)


@dataclass(frozen=True)
class Claim:
    """A message this pass holds the lease on."""

    id: int
    target: str
    citizen_id: str
    attempts: int


@dataclass(frozen=True)
class Failure:
    """An attempt that was not acknowledged: the error to record and the answer's status, if any."""

    error: str
    status: int | None = None


@dataclass(frozen=True)
class PassReport:
    """What one delivery pass did."""

    delivered: int = 0
    failed: int = 0
    deferred: int = 0

    @property
    def claimed(self) -> int:
        """Messages the pass held a lease on."""
        return self.delivered + self.failed + self.deferred

    def __add__(self, other: PassReport) -> PassReport:
        return PassReport(
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.deferred + other.deferred,
        )


class OutboxDispatcher:
    """Delivers due outbox messages; every method is blocking (run it in a thread)."""

    def __init__(
        self,
        *,
        engine: Engine,
        owner: str,
        targets: Mapping[str, str],
        secret: str,
        timeout: float,
        backoff_base: float,
        backoff_max: float,
        batch_size: int = 100,
    ) -> None:
        self.engine = engine
        self.owner = owner
        self.targets = {name: url.rstrip("/") for name, url in targets.items()}
        self.secret = secret
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.batch_size = batch_size

    @classmethod
    def from_settings(
        cls, settings: AccountsSettings, engine: Engine, *, role: str
    ) -> OutboxDispatcher:
        """A dispatcher configured by the accounts settings; `role` tells its leases apart."""
        return cls(
            engine=engine,
            # `serve` and `deliver-outbox` on one host run side by side: each reclaims only its
            # own leases at start, never those of the other's delivery in flight.
            owner=f"{settings.outbox_instance}:{role}",
            targets={
                "traffic": settings.traffic_url,
                "socialsec": settings.socialsec_url,
                "inspection": settings.inspection_url,
            },
            secret=settings.shared.internal_token_secret,
            timeout=settings.outbox_timeout_seconds,
            backoff_base=settings.outbox_backoff_base_seconds,
            backoff_max=settings.outbox_backoff_max_seconds,
        )

    def deliver_due(
        self, *, ids: Sequence[int] | None = None, now: datetime | None = None
    ) -> PassReport:
        """One pass: claim due messages (only `ids` when given), deliver them, record outcomes."""
        now = now or utcnow()
        claims = self.claim(ids=ids, now=now)
        if not claims:
            return PassReport()
        delivered = failed = deferred = 0
        down: dict[str, Failure] = {}
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            for claim in claims:
                if claim.target in down:
                    # Known unreachable in this pass: wait with the failed message instead of
                    # spending another timeout on it; not an attempt.
                    self._defer(claim, failure=down[claim.target], now=now)
                    deferred += 1
                    continue
                failure = self._send(client, claim)
                if failure is None:
                    self._acknowledge(claim)
                    delivered += 1
                else:
                    down[claim.target] = failure
                    self._fail(claim, failure=failure, now=now)
                    failed += 1
        return PassReport(delivered, failed, deferred)

    def deliver_all_due(self, *, now: datetime | None = None) -> PassReport:
        """Passes until no full batch is left (the CLI's work)."""
        total = PassReport()
        while True:
            report = self.deliver_due(now=now)
            total += report
            if report.claimed < self.batch_size:
                return total

    def claim(self, *, ids: Sequence[int] | None = None, now: datetime) -> list[Claim]:
        """Take the lease on due messages (only `ids` when given); others skip them until then."""
        due = (
            select(OutboxMessage)
            .where(
                col(OutboxMessage.delivered_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        if ids is not None:
            due = due.where(col(OutboxMessage.id).in_(list(ids)))
        claims = []
        with Session(self.engine) as session:
            for message in session.exec(due).all():
                assert message.id is not None
                taken = session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.id) == message.id,
                        col(OutboxMessage.delivered_at).is_(None),
                        col(OutboxMessage.next_attempt_at) <= now,
                    )
                    .values(next_attempt_at=now + LEASE, lease_owner=self.owner)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:
                    claims.append(
                        Claim(message.id, message.target, message.citizen_id, message.attempts)
                    )
            session.commit()
        return claims

    def release_own_leases(self, *, now: datetime | None = None) -> int:
        """At start: make the messages this owner's previous run held due now; how many."""
        now = now or utcnow()
        # One process at a time runs under a name, so whoever held these before this start was
        # this process's previous run, now gone: its deliveries may have been cut short, and
        # waiting for the lease to end would only delay them.
        with Session(self.engine) as session:
            released = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.lease_owner) == self.owner,
                    col(OutboxMessage.delivered_at).is_(None),
                    col(OutboxMessage.next_attempt_at) > now,
                )
                .values(next_attempt_at=now, lease_owner=None)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        if released:
            log.info(
                "outbox leases of a previous run released",
                extra={"owner": self.owner, "released": released},
            )
        return released

    def _send(self, client: httpx.Client, claim: Claim) -> Failure | None:
        """Deliver one message; None when acknowledged, else why not."""
        base = self.targets.get(claim.target)
        if base is None:
            return Failure(f"no URL configured for {claim.target}")
        token = service_token(secret=self.secret, caller="accounts", audience=claim.target)
        # The withdrawal's own request id when delivered right after it, else one per message.
        request_id = request_id_var.get() or f"outbox-{claim.id}"
        try:
            response = client.delete(
                f"{base}/v1/internal/citizens/{claim.citizen_id}/bindings",
                headers={
                    **propagation_headers(),
                    "Authorization": f"Bearer {token}",
                    "X-Request-ID": request_id,
                },
            )
        except httpx.HTTPError as exc:
            return Failure(f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
        if response.is_success:
            return None
        return Failure(
            f"HTTP {response.status_code}: {response.text[:200]}"[:MAX_ERROR_LENGTH],
            response.status_code,
        )

    def _acknowledge(self, claim: Claim) -> None:
        with Session(self.engine) as session:
            message = session.get(OutboxMessage, claim.id)
            assert message is not None
            message.attempts = claim.attempts + 1
            message.delivered_at = utcnow()
            message.lease_owner = None
            session.add(message)
            session.commit()
        log.info(
            "outbox message acknowledged",
            extra={"message_id": claim.id, "target": claim.target, "attempts": claim.attempts + 1},
        )

    def _fail(self, claim: Claim, *, failure: Failure, now: datetime) -> None:
        failures = claim.attempts + 1
        delay = backoff_seconds(failures=failures, base=self.backoff_base, cap=self.backoff_max)
        self._record(
            claim, failure=failure, attempts=failures, retry_at=now + timedelta(seconds=delay)
        )
        # The answer's body and the citizen id stay in the table (staff see them at
        # GET /v1/outbox); the log carries no personal values.
        log.error(
            "outbox deletion not acknowledged; will retry",
            extra={
                "alert": ALERT,
                "message_id": claim.id,
                "target": claim.target,
                "attempts": failures,
                "retry_in_seconds": delay,
                "status": failure.status,
                "reason": failure.error.partition(":")[0],
            },
        )

    def _defer(self, claim: Claim, *, failure: Failure, now: datetime) -> None:
        delay = backoff_seconds(
            failures=max(claim.attempts, 1), base=self.backoff_base, cap=self.backoff_max
        )
        self._record(
            claim, failure=failure, attempts=claim.attempts, retry_at=now + timedelta(seconds=delay)
        )

    def _record(self, claim: Claim, *, failure: Failure, attempts: int, retry_at: datetime) -> None:
        """Store an unacknowledged outcome and end the lease at `retry_at`."""
        with Session(self.engine) as session:
            message = session.get(OutboxMessage, claim.id)
            assert message is not None
            message.attempts = attempts
            message.last_error = failure.error
            message.last_status = failure.status
            message.next_attempt_at = retry_at
            message.lease_owner = None
            session.add(message)
            session.commit()


async def run_outbox_loop(
    dispatcher: OutboxDispatcher, *, interval: float, stop: asyncio.Event
) -> None:
    """Deliver due messages every `interval` seconds until `stop` is set; never blocks the loop."""
    await run_periodically(dispatcher.deliver_due, interval=interval, stop=stop, what="outbox pass")


@contextlib.asynccontextmanager
async def outbox_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Keep the app's dispatcher (see `app_outbox`) and run the delivery loop while it serves."""
    settings = app_settings(app, AccountsSettings)
    dispatcher = OutboxDispatcher.from_settings(settings, engine_of(app), role="serve")
    app.state.outbox = dispatcher
    try:
        # Before the loop's first pass, which then delivers what a killed predecessor left mid-way.
        await run_in_threadpool(dispatcher.release_own_leases)
    except SQLAlchemyError:
        # A database that is down must not keep the service from starting; the leases then end
        # on their own.
        log.exception("outbox leases of a previous run not released")
    stop = asyncio.Event()
    task = None
    if settings.outbox_interval_seconds > 0:
        task = asyncio.create_task(
            run_outbox_loop(dispatcher, interval=settings.outbox_interval_seconds, stop=stop)
        )
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            # Let a pass in flight settle its rows; a pass takes at most one timeout per target.
            grace = settings.outbox_timeout_seconds * len(BINDING_SERVICES) + 5
            try:
                await asyncio.wait_for(task, timeout=grace)
            except TimeoutError:
                log.warning("outbox loop did not stop in time")


def app_outbox(app: Starlette) -> OutboxDispatcher:
    """The dispatcher `outbox_lifespan` started for `app`."""
    dispatcher: OutboxDispatcher = app.state.outbox
    return dispatcher


def get_outbox(request: Request) -> OutboxDispatcher:
    """The serving app's dispatcher, as a dependency."""
    return app_outbox(request.app)


OutboxDep = Annotated[OutboxDispatcher, Depends(get_outbox)]


def deliver_outbox_command(settings: AccountsSettings) -> None:
    """`python -m accounts deliver-outbox`: deliver everything due now, once (for cron)."""
    engine = make_engine(settings.database_url)
    try:
        dispatcher = OutboxDispatcher.from_settings(settings, engine, role="deliver-outbox")
        dispatcher.release_own_leases()
        report = dispatcher.deliver_all_due()
    finally:
        engine.dispose()
    print(
        f"outbox: {report.delivered} delivered, {report.failed} failed, {report.deferred} deferred"
    )
