"""Blocking jobs run on a schedule inside a service, from its app's lifespan.

Each run goes to a worker thread (the jobs use synchronous database sessions and HTTP clients),
so the event loop keeps serving. A failing run is logged and the loop goes on: the database or
an upstream may be briefly away, and the next run tries again.

Every replica runs the same loops. A job whose work must happen once per period (not once per
replica) claims the period first (`claim_period`): a row keyed by job and period start in the
service's own database, whose insert only one replica's run can commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from servicekit.clock import as_utc
from servicekit.tracing import job_span

log = logging.getLogger("servicekit.background")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Claims are only compared within a period; a week of them is plenty to look back at.
CLAIMS_KEPT = timedelta(days=7)


async def run_periodically(
    work: Callable[[], object], *, interval: float, stop: asyncio.Event, what: str
) -> None:
    """Run the blocking `work` in a thread every `interval` seconds until `stop` is set; an
    error is logged as `what` failing and the loop goes on."""
    while not stop.is_set():
        # Each run a trace of its own: the thread inherits it, and its calls carry it on.
        with job_span(what):
            try:
                await asyncio.to_thread(work)
            except Exception:
                log.exception("%s failed; the next run tries again", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


@contextlib.asynccontextmanager
async def every(seconds: float, work: Callable[[], object], *, what: str) -> AsyncIterator[None]:
    """Run the blocking `work` every `seconds` while the context lasts (0: never); leaving waits
    for a run in flight to end."""
    if seconds <= 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_periodically(work, interval=seconds, stop=stop, what=what))
    try:
        yield
    finally:
        stop.set()
        await task


# -- once per period, whatever the number of replicas ----------------------------------------


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start (UTC) of the period of length `every` that `now` is in.

    Periods are counted from the Unix epoch, so every replica names the same period whenever it
    started and whatever its zone; a run at the very boundary belongs to the period it opens.
    """
    if every <= timedelta(0):
        raise ValueError("a period lasts more than 0 s")
    # timedelta // timedelta is exact integer arithmetic on microseconds.
    return EPOCH + (as_utc(now) - EPOCH) // every * every


class PeriodClaimBase(SQLModel):
    """One row per scheduled job and period, taken by the one run that does that period's work.

    Each service keeps its own `period_claim` table in its own metadata::

        class PeriodClaim(Table, PeriodClaimBase, table=True):
            __tablename__ = "period_claim"
    """

    job: str = Field(primary_key=True, max_length=64)
    period_start: datetime = Field(primary_key=True, sa_type=DateTime(timezone=True))
    claimed_at: datetime = Field(sa_type=DateTime(timezone=True))
    claimed_by: str = Field(max_length=128)


def claim_period(
    engine: Engine,
    table: type[PeriodClaimBase],
    *,
    job: str,
    period: datetime,
    now: datetime,
    owner: str,
    keep: timedelta = CLAIMS_KEPT,
) -> bool:
    """True for the one run, among all replicas, that takes `job`'s `period`: its row's insert
    commits, any other's breaks the primary key. The winner also forgets claims older than
    `keep`, so the table stays small."""
    with Session(engine) as session:
        session.add(table(job=job, period_start=period, claimed_at=now, claimed_by=owner[:128]))
        try:
            session.commit()
        except IntegrityError:
            return False
        columns = table.__table__.c  # type: ignore[attr-defined]
        session.execute(
            delete(table).where(columns.job == job, columns.period_start < period - keep)
        )
        session.commit()
    return True
