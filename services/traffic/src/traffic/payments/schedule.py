"""Reconciliation on a schedule inside the service (`TRAFFIC_RECONCILE_EVERY_SECONDS` > 0).

The same run as `python -m traffic reconcile` (what a cron job calls where the loop is off),
every few minutes, in a worker thread because the provider client is synchronous. Every replica
may run it: a run is idempotent. Errors are logged, never raised: the service keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.engine import Engine

from traffic.payments.provider import WechatPayClient
from traffic.payments.reconciliation import reconcile_once
from traffic.settings import TrafficSettings

log = logging.getLogger(__name__)


async def _loop(
    engine: Engine, pay: WechatPayClient, settings: TrafficSettings, stop: asyncio.Event
) -> None:
    older_than = timedelta(seconds=settings.reconcile_after_seconds)
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(reconcile_once, engine, pay, older_than=older_than)
            log.info("scheduled reconciliation: %s", report.summary())
        except Exception:
            log.exception("scheduled reconciliation failed; the next run tries again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.reconcile_every_seconds)


@contextlib.asynccontextmanager
async def reconcile_schedule(
    engine: Engine, pay: WechatPayClient, settings: TrafficSettings
) -> AsyncIterator[None]:
    """Run reconciliation every `reconcile_every_seconds` while the app serves (0: never)."""
    if settings.reconcile_every_seconds <= 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_loop(engine, pay, settings, stop))
    try:
        yield
    finally:
        stop.set()
        await task
