"""The accounts metrics' own rules: the outbox age, and pushes counted by outcome."""

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import create_engine

from accounts.metrics import AccountsMetrics, oldest_age_seconds
from servicekit.testing import metric_value

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("oldest", "age"),
    [
        (None, 0.0),
        (NOW - timedelta(minutes=11), 660.0),
        (NOW.replace(tzinfo=None) - timedelta(seconds=5), 5.0),  # SQLite reads naive UTC
        (NOW + timedelta(seconds=3), 0.0),  # another host's clock ahead: never negative
    ],
)
def test_oldest_age_seconds(oldest: datetime | None, age: float) -> None:
    assert oldest_age_seconds(oldest, now=NOW) == age


def test_pushes_are_counted_by_outcome_and_an_unreadable_outbox_drops_its_gauges() -> None:
    registry = CollectorRegistry()
    # A database that cannot be opened: the scrape still answers, without the outbox gauges.
    engine = create_engine("sqlite:////nonexistent/dir/accounts.db")
    metrics = AccountsMetrics(registry, engine)
    metrics.pushed(sent=2, failed=1, retrying=0)
    metrics.pushed(sent=1, failed=0, retrying=1)
    text = generate_latest(registry).decode()
    counted = {
        outcome: metric_value(text, "accounts_pushes_total", outcome=outcome)
        for outcome in ("sent", "failed", "retrying")
    }
    assert counted == {"sent": 3, "failed": 1, "retrying": 1}
    assert metric_value(text, "accounts_outbox_backlog") is None
