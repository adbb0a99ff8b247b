"""Accounts' own time helper; the shared ones are `servicekit.clock`."""

from __future__ import annotations

from datetime import datetime

from servicekit.clock import SHANGHAI, as_utc


def local(value: datetime | None) -> datetime | None:
    """A stored time in Asia/Shanghai for citizen-facing responses (DESIGN §5)."""
    return None if value is None else as_utc(value).astimezone(SHANGHAI)
