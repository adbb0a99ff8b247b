"""Weather's own time helpers; the shared ones are `servicekit.clock`."""

from datetime import date, datetime

from servicekit.clock import SHANGHAI


def now_local() -> datetime:
    """The current time in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def today_local() -> date:
    """Today's date in Asia/Shanghai."""
    return now_local().date()
