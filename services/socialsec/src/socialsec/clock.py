"""Time and months: UTC in the database, Asia/Shanghai for citizens and calendar days (DESIGN §5).

Handlers take the current time through `NowDep`, so tests fix "now" with
`app.dependency_overrides[current_time]`. A month (缴费期) is the `date` of its first day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as aware UTC; SQLite hands timestamps back naive, and they were UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """A stored time in Asia/Shanghai, whole seconds, for responses."""
    return as_utc(value).astimezone(SHANGHAI).replace(microsecond=0)


def local_day(value: datetime) -> date:
    """The Asia/Shanghai calendar day of a moment."""
    return as_utc(value).astimezone(SHANGHAI).date()


def today() -> date:
    """Today in Asia/Shanghai."""
    return local_day(utcnow())


def month_of(day: date) -> date:
    """The month (its first day) that `day` falls in."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The month `count` months after (or before, when negative) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from `first` through `last`, both included (0 when last < first)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def month_range(first: date, last: date) -> Iterator[date]:
    """Every month from `first` through `last`, both included."""
    for offset in range(months_between(first, last)):
        yield add_months(first, offset)


def month_label(month: date) -> str:
    """`YYYY-MM`, as months appear in the API."""
    return f"{month:%Y-%m}"


def age_on(*, birth: date, day: date) -> int:
    """Full years of age on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


async def current_time() -> datetime:
    """FastAPI dependency: now, in UTC (async: pure, so no threadpool hop)."""
    return utcnow()


NowDep = Annotated[datetime, Depends(current_time)]
