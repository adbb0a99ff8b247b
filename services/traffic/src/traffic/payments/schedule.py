"""Jobs on a schedule inside the service: reconciliation (`TRAFFIC_RECONCILE_EVERY_SECONDS` > 0)
and the 缴款成功 notices (`TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS` > 0, traffic.notices).

Reconciliation is the same run as `python -m traffic reconcile` (what a cron job calls where the
loop is off). Each job runs in a worker thread because its clients are synchronous. Every replica
may run them: reconciliation runs once per period of `reconcile_every_seconds` however many
replicas look (the period is claimed in the database first; a run is idempotent anyway, but each
asks the provider about every open order and fetches two bills), and notices are claimed before
they are sent. Errors are logged, never raised: the service keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from servicekit.background import claim_period, every, period_start
from servicekit.clock import utcnow
from traffic.models import PeriodClaim
from traffic.notices import NoticeSender
from traffic.payments.metrics import PaymentMetrics
from traffic.payments.provider import WechatPayClient
from traffic.payments.reconciliation import reconcile_once
from traffic.settings import TrafficSettings

log = logging.getLogger(__name__)


RECONCILE_JOB = "reconcile"


def reconcile_in_turn(
    engine: Engine,
    pay: WechatPayClient,
    *,
    every_seconds: float,
    older_than: timedelta,
    metrics: PaymentMetrics,
    clock: Callable[[], datetime] = utcnow,
) -> Callable[[], None]:
    """One look of this replica's loop: reconcile if this period is still free, else skip."""
    every_period = timedelta(seconds=every_seconds)
    owner = f"{socket.gethostname()}:{os.getpid()}"

    def reconcile() -> None:
        now = clock()
        period = period_start(now, every_period)
        if not claim_period(
            engine, PeriodClaim, job=RECONCILE_JOB, period=period, now=now, owner=owner
        ):
            metrics.reconciliations.labels("skipped").inc()
            return
        metrics.reconciliations.labels("ran").inc()
        report = reconcile_once(engine, pay, older_than=older_than)
        log.info("scheduled reconciliation: %s", report.summary())

    return reconcile


@contextlib.asynccontextmanager
async def reconcile_schedule(
    engine: Engine, pay: WechatPayClient, settings: TrafficSettings, metrics: PaymentMetrics
) -> AsyncIterator[None]:
    """Reconcile once per `reconcile_every_seconds` while the app serves (0: never), in
    whichever replica looks first in each period."""
    seconds = settings.reconcile_every_seconds
    work = reconcile_in_turn(
        engine,
        pay,
        every_seconds=seconds,
        older_than=timedelta(seconds=settings.reconcile_after_seconds),
        metrics=metrics,
    )
    async with every(seconds, work, what="reconciliation"):
        yield


@contextlib.asynccontextmanager
async def notice_schedule(
    engine: Engine, settings: TrafficSettings, metrics: PaymentMetrics
) -> AsyncIterator[None]:
    """Send due 缴款成功 notices every `payment_notice_every_seconds` (never without a template),
    counting each pass's outcomes."""
    seconds = settings.payment_notice_every_seconds
    if not settings.payment_template_id:
        if seconds > 0:
            log.warning("TRAFFIC_PAYMENT_TEMPLATE_ID is not set: payment notices are kept unsent")
        seconds = 0
    sender = NoticeSender.from_settings(settings, engine)

    def deliver() -> None:
        done = sender.deliver_due()
        metrics.notices.labels("delivered").inc(done.delivered)
        metrics.notices.labels("failed").inc(done.failed)

    async with every(seconds, deliver, what="payment notices"):
        yield
