"""The accounts service's Prometheus metrics: the consent outbox's backlog and age, read from the
database when scraped (so every replica reports the same shared table), and article pushes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select
from starlette.applications import Starlette

from accounts.models import OutboxMessage
from servicekit.clock import as_utc, utcnow
from servicekit.metrics import register_metrics
from servicekit.state import engine_of

log = logging.getLogger("accounts.metrics")


def oldest_age_seconds(oldest: datetime | None, *, now: datetime) -> float:
    """How long the oldest undelivered message has waited; 0 when none waits."""
    if oldest is None:
        return 0.0
    return max(0.0, (now - as_utc(oldest)).total_seconds())


class OutboxGauges(Collector):
    """`accounts_outbox_backlog` and `accounts_outbox_oldest_age_seconds`, one query a scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """The undelivered messages' count and the oldest one's age; nothing if the database
        cannot be read (the scrape still answers; an absent series is what the alert sees)."""
        pending = select(func.count(), func.min(OutboxMessage.created_at)).where(
            col(OutboxMessage.delivered_at).is_(None)
        )
        try:
            with Session(self.engine) as session:
                count, oldest = session.exec(pending).one()
        except SQLAlchemyError as exc:
            log.warning("outbox gauges not read: %s", type(exc).__name__)
            return
        yield GaugeMetricFamily(
            "accounts_outbox_backlog", "Outbox messages not yet acknowledged", value=count
        )
        yield GaugeMetricFamily(
            "accounts_outbox_oldest_age_seconds",
            "Seconds the oldest unacknowledged outbox message has waited (0 when none)",
            value=oldest_age_seconds(oldest, now=utcnow()),
        )


class AccountsMetrics:
    """The article pushes' outcomes, and the outbox gauges of the app's database."""

    def __init__(self, registry: CollectorRegistry, engine: Engine) -> None:
        registry.register(OutboxGauges(engine))
        self.pushes = Counter(
            "accounts_pushes",
            "Scheduled article pushes attempted, by outcome (sent, failed, retrying)",
            ["outcome"],
            registry=registry,
        )

    def pushed(self, *, sent: int, failed: int, retrying: int) -> None:
        """Count what one push pass did."""
        for outcome, count in (("sent", sent), ("failed", failed), ("retrying", retrying)):
            self.pushes.labels(outcome).inc(count)


def install_accounts_metrics(app: Starlette) -> AccountsMetrics:
    """Register the pushes' counter and the outbox gauges on `app`'s registry."""
    return register_metrics(app, lambda registry: AccountsMetrics(registry, engine_of(app)))
