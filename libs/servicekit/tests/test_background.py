"""servicekit.background's once-per-period claims: which period a moment is in, and who takes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from servicekit.background import PeriodClaimBase, claim_period, period_start
from servicekit.clock import SHANGHAI
from servicekit.db import make_engine, table_base

UTC = UTC
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("now", "every", "start"),
    [
        # Inside a minute, at its first microsecond, at its last.
        (
            datetime(2026, 12, 4, 18, 0, 30, tzinfo=UTC),
            MINUTE,
            datetime(2026, 12, 4, 18, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 4, 18, 1, tzinfo=UTC),
            MINUTE,
            datetime(2026, 12, 4, 18, 1, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 4, 18, 1, 59, 999_999, tzinfo=UTC),
            MINUTE,
            datetime(2026, 12, 4, 18, 1, tzinfo=UTC),
        ),
        # The zone of `now` does not matter: the same instant, the same period.
        (
            datetime(2026, 12, 5, 2, 0, 30, tzinfo=SHANGHAI),
            MINUTE,
            datetime(2026, 12, 4, 18, 0, tzinfo=UTC),
        ),
        # Naive times are UTC (SQLite hands them back so).
        (datetime(2026, 12, 4, 18, 0, 30), MINUTE, datetime(2026, 12, 4, 18, 0, tzinfo=UTC)),
        # Periods that do not divide an hour still line up for every replica (1796407228 s is
        # a multiple of 7).
        (
            datetime(2026, 12, 4, 18, 0, 30, tzinfo=UTC),
            timedelta(seconds=7),
            datetime(2026, 12, 4, 18, 0, 28, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 4, 18, 0, 0, 250_000, tzinfo=UTC),
            timedelta(seconds=0.5),
            datetime(2026, 12, 4, 18, 0, tzinfo=UTC),
        ),
        # A day is a UTC day.
        (datetime(2026, 12, 5, 7, 59, tzinfo=SHANGHAI), DAY, datetime(2026, 12, 4, tzinfo=UTC)),
        (datetime(2026, 12, 5, 8, 0, tzinfo=SHANGHAI), DAY, datetime(2026, 12, 5, tzinfo=UTC)),
    ],
)
def test_a_moment_is_in_one_period_counted_from_the_epoch(
    now: datetime, every: timedelta, start: datetime
) -> None:
    assert period_start(now, every) == start


@pytest.mark.parametrize("every", [timedelta(0), timedelta(seconds=-1)])
def test_a_period_lasts_some_time(every: timedelta) -> None:
    with pytest.raises(ValueError):
        period_start(datetime(2026, 12, 4, tzinfo=UTC), every)


Table = table_base()


class Claim(Table, PeriodClaimBase, table=True):
    __tablename__ = "period_claim"


@pytest.fixture
def engines(empty_database_url: str) -> Iterator[list[Engine]]:
    """Two replicas' engines on one database (SQLite, or PostgreSQL with TEST_DATABASE)."""
    pair = [make_engine(empty_database_url), make_engine(empty_database_url)]
    Table.metadata.create_all(pair[0])
    yield pair
    for engine in pair:
        engine.dispose()


T0 = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def claim(engine: Engine, period: datetime, *, job: str = "reconcile", owner: str = "a") -> bool:
    return claim_period(engine, Claim, job=job, period=period, now=period, owner=owner)


def test_one_replica_takes_a_period_and_each_job_has_its_own(engines: list[Engine]) -> None:
    first, second = engines
    assert claim(first, T0, owner="first")
    assert not claim(second, T0, owner="second")
    assert not claim(first, T0, owner="first")
    assert claim(second, T0, job="import", owner="second")
    assert claim(second, T0 + MINUTE, owner="second")
    with Session(first) as session:
        owners = {(c.job, c.period_start.minute): c.claimed_by for c in session.exec(select(Claim))}
    assert owners == {
        ("reconcile", 0): "first",
        ("import", 0): "second",
        ("reconcile", 1): "second",
    }


def test_a_won_claim_forgets_the_job_s_claims_older_than_a_week(engines: list[Engine]) -> None:
    engine = engines[0]
    assert claim(engine, T0 - 8 * DAY)
    assert claim(engine, T0 - 6 * DAY)
    assert claim(engine, T0 - 8 * DAY, job="import")
    assert claim(engine, T0)
    with Session(engine) as session:
        left = {
            (c.job, (T0 - c.period_start.replace(tzinfo=UTC)).days)
            for c in session.exec(select(Claim))
        }
    assert left == {("reconcile", 6), ("reconcile", 0), ("import", 8)}
