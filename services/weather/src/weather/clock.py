"""Local time of the city (Asia/Shanghai)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_local() -> datetime:
    """The current time in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def today_local() -> date:
    """Today's date in Asia/Shanghai."""
    return now_local().date()
