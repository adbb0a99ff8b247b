"""Time helpers: UTC in the database, the city's local time (Asia/Shanghai) for people and days."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_local() -> datetime:
    """The current time in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def today_local() -> date:
    """Today's date in Asia/Shanghai."""
    return now_local().date()


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the form every stored time takes)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as aware UTC; SQLite hands timestamps back naive, and they were UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """A stored time in Asia/Shanghai, whole seconds, for responses (DESIGN §5)."""
    return as_utc(value).astimezone(SHANGHAI).replace(microsecond=0)
