"""Time helpers: UTC in the database, Asia/Shanghai for citizen-facing values and days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the form every stored time takes)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as aware UTC; SQLite hands timestamps back naive, and they were UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime | None) -> datetime | None:
    """A stored time in Asia/Shanghai for citizen-facing responses (DESIGN §5)."""
    return None if value is None else as_utc(value).astimezone(SHANGHAI)


def local_day(value: datetime) -> date:
    """The Asia/Shanghai calendar day of a moment."""
    return as_utc(value).astimezone(SHANGHAI).date()


def today() -> date:
    """Today in Asia/Shanghai."""
    return local_day(utcnow())
