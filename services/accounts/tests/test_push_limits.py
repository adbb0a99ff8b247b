"""WeChat's mass-send quotas on the Asia/Shanghai calendar, and the push time."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.push_limits import quota_refusal, resolve_send_at
from servicekit.clock import SHANGHAI


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


QUOTA_CASES = [
    # (kind, send_at, booked, refused)
    ("subscription", sh("2026-12-03 10:00"), [], False),
    ("subscription", sh("2026-12-03 10:00"), [sh("2026-12-03 08:00")], True),
    ("subscription", sh("2026-12-03 10:00"), [sh("2026-12-02 23:59")], False),
    ("subscription", sh("2026-12-03 10:00"), [sh("2026-12-04 00:00")], False),
    # 23:30 UTC on the 2nd is 07:30 on the 3rd in Shanghai: the same local day.
    ("subscription", sh("2026-12-03 10:00"), [datetime(2026, 12, 2, 23, 30, tzinfo=UTC)], True),
    ("subscription", sh("2026-12-03 10:00"), [datetime(2026, 12, 2, 15, 59, tzinfo=UTC)], False),
    (None, sh("2026-12-03 10:00"), [sh("2026-12-03 18:00")], True),
    (None, sh("2026-12-03 10:00"), [], False),
    ("service", sh("2026-12-03 10:00"), [sh("2026-12-03 09:00")] * 3, False),
    ("service", sh("2026-12-03 10:00"), [sh("2026-12-01 09:00")] * 4, True),
    ("service", sh("2026-12-31 23:00"), [sh("2026-12-01 09:00")] * 4, True),
    ("service", sh("2027-01-01 00:00"), [sh("2026-12-01 09:00")] * 4, False),
    ("service", sh("2026-12-03 10:00"), [sh("2026-11-30 23:00")] * 4, False),
    ("service", sh("2026-12-01 07:00"), [datetime(2026, 11, 30, 17, 0, tzinfo=UTC)] * 4, True),
]


@pytest.mark.parametrize(("kind", "send_at", "booked", "refused"), QUOTA_CASES)
def test_quota(kind: str | None, send_at: datetime, booked: list[datetime], refused: bool) -> None:
    reason = quota_refusal(kind=kind, send_at=send_at, booked=booked)
    assert (reason is not None) == refused
    if reason is not None:
        assert ("每天最多群发 1 次" if kind != "service" else "每月最多群发 4 次") in reason


def test_an_account_of_unknown_kind_is_told_why() -> None:
    reason = quota_refusal(
        kind=None, send_at=sh("2026-12-03 10:00"), booked=[sh("2026-12-03 08:00")]
    )
    assert reason is not None and "按订阅号计" in reason


NOW = sh("2026-12-03 10:00")
SEND_CASES = [
    (None, NOW),
    (sh("2026-12-03 12:00"), sh("2026-12-03 12:00")),
    (datetime(2026, 12, 3, 12, 0), sh("2026-12-03 12:00")),  # no offset: Beijing time
    (datetime(2026, 12, 3, 4, 0, tzinfo=UTC), sh("2026-12-03 12:00")),
    (NOW - timedelta(seconds=30), NOW),  # a moment ago means now
    (NOW - timedelta(minutes=5), ValueError),
    (NOW + timedelta(days=91), ValueError),
]


@pytest.mark.parametrize(("requested", "expected"), SEND_CASES)
def test_send_at(requested: datetime | None, expected: datetime | type[ValueError]) -> None:
    if expected is ValueError:
        with pytest.raises(ValueError):
            resolve_send_at(requested, now=NOW)
    else:
        assert resolve_send_at(requested, now=NOW) == expected
