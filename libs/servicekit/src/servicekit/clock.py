"""Time: UTC in the databases, Asia/Shanghai for citizens and calendar days (DESIGN §5).

Handlers take the current time through `NowDep`, so tests fix "now" with
`app.dependency_overrides[current_time]` and every date rule stays testable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends
from pydantic import AfterValidator

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the form every stored time takes)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as aware UTC; SQLite hands timestamps back naive, and they were UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """A stored time in Asia/Shanghai, whole seconds, for responses."""
    return as_utc(value).astimezone(SHANGHAI).replace(microsecond=0)


# A stored time a response model shows in Asia/Shanghai (`local`), whole seconds.
LocalTime = Annotated[datetime, AfterValidator(local)]


def local_day(value: datetime) -> date:
    """The Asia/Shanghai calendar day of a moment."""
    return as_utc(value).astimezone(SHANGHAI).date()


def today() -> date:
    """Today in Asia/Shanghai."""
    return local_day(utcnow())


async def current_time() -> datetime:
    """FastAPI dependency: now, in UTC (async: pure, so no threadpool hop)."""
    return utcnow()


NowDep = Annotated[datetime, Depends(current_time)]
