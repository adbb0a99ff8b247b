"""The sandbox's clock: real time plus an offset that tests and demos may move forward.

Moving time is how the 48-hour reply window, token expiry and daily quotas are tried without
waiting; every time-dependent rule of the sandbox reads this clock and nothing else.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

# Quotas reset at midnight and at the month's start in China, and citizens see local times.
CHINA = ZoneInfo("Asia/Shanghai")


class Clock:
    """Seconds since the epoch, shiftable forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """The sandbox's current time."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time forward."""
        self.offset += seconds

    def local(self, at: float | None = None) -> datetime:
        """`at` (default now) in China's time zone."""
        return datetime.fromtimestamp(self.now() if at is None else at, CHINA)

    def day(self) -> str:
        """Today's date in China, the key of daily quotas."""
        return self.local().strftime("%Y-%m-%d")

    def month(self) -> str:
        """This month in China, the key of monthly quotas."""
        return self.local().strftime("%Y-%m")
