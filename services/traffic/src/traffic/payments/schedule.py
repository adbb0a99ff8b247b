"""Jobs on a schedule inside the service: reconciliation (`TRAFFIC_RECONCILE_EVERY_SECONDS` > 0)
and the 缴款成功 notices (`TRAFFIC_PAYMENT_NOTICE_EVERY_SECONDS` > 0, traffic.notices).

Reconciliation is the same run as `python -m traffic reconcile` (what a cron job calls where the
loop is off). Each job runs in a worker thread because its clients are synchronous. Every replica
may run them: a reconciliation run is idempotent, and notices are claimed before they are sent.
Errors are logged, never raised: the service keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.engine import Engine

from servicekit.background import every
from traffic.notices import NoticeSender
from traffic.payments.metrics import PaymentMetrics
from traffic.payments.provider import WechatPayClient
from traffic.payments.reconciliation import reconcile_once
from traffic.settings import TrafficSettings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def reconcile_schedule(
    engine: Engine, pay: WechatPayClient, settings: TrafficSettings
) -> AsyncIterator[None]:
    """Run reconciliation every `reconcile_every_seconds` while the app serves (0: never)."""
    older_than = timedelta(seconds=settings.reconcile_after_seconds)

    def reconcile() -> None:
        report = reconcile_once(engine, pay, older_than=older_than)
        log.info("scheduled reconciliation: %s", report.summary())

    async with every(settings.reconcile_every_seconds, reconcile, what="reconciliation"):
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
