"""Running the overdue reminders (`inspection.reminders`): daily from the app, or by hand.

With `INSPECTION_REMINDERS_ENABLED=true` the app looks every `INSPECTION_REMINDERS_CHECK_SECONDS`
(60) whether today's reminders are planned, from `INSPECTION_REMINDERS_AT` (09:00 Beijing time)
on, and delivers the pending ones. Every replica may run it: planning is idempotent and each
reminder is claimed before it is sent. By hand (or from cron):

    python -m inspection send-reminders [--date YYYY-MM-DD]

plans the reminders due on the date (default: today in Beijing) and delivers every pending one
due now, once. Exit codes: 0 every reminder tried was delivered (or none was due); 1 some failed
for good, or wait for a retry (due after a backoff: running it again later retries them), or no
template id is set; 2 usage.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter

from inspection.reminders import DeliveryReport, ReminderSender, RunReport, run_once
from inspection.settings import InspectionSettings
from servicekit.background import every
from servicekit.cli import CliCommand
from servicekit.clock import SHANGHAI, as_utc, today, utcnow
from servicekit.db import make_engine
from servicekit.deps import app_settings
from servicekit.metrics import metrics_of
from servicekit.state import engine_of

log = logging.getLogger(__name__)

COMMAND = "send-reminders"
HELP = "plan and send the overdue-inspection reminders once (定期检验提醒)"


class ReminderSchedule:
    """The app's daily job: from `at` (Beijing time) each day, plan once, then deliver on every
    look (retries come due through the day); nothing before `at`, so no message at night."""

    def __init__(self, sender: ReminderSender, *, at: time) -> None:
        self.sender, self.at = sender, at
        self.planned_on: date | None = None

    def look(self, now: datetime | None = None) -> RunReport:
        """One look: plan today's reminders if not yet planned here, and deliver what is due;
        what it did."""
        now = as_utc(now or utcnow())
        local = now.astimezone(SHANGHAI)
        if local.time() < self.at:
            return RunReport(0, DeliveryReport())
        if self.planned_on != local.date():
            report = run_once(self.sender, today=local.date(), now=now)
            self.planned_on = local.date()
            log.info("scheduled %s", report.summary())
            return report
        return RunReport(0, self.sender.deliver_due(now=now))


class ReminderMetrics:
    """`inspection_reminders_total`: reminders planned, then each delivery's outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.reminders = Counter(
            "inspection_reminders",
            "Overdue-inspection reminders by outcome: planned, delivered, failed (for good), "
            "retrying, skipped (no longer applying)",
            ["outcome"],
            registry=registry,
        )

    def count(self, report: RunReport) -> None:
        """Add what one look did."""
        d = report.delivery
        for outcome, number in (
            ("planned", report.planned),
            ("delivered", d.delivered),
            ("failed", d.failed),
            ("retrying", d.retrying),
            ("skipped", d.skipped),
        ):
            self.reminders.labels(outcome).inc(number)


@contextlib.asynccontextmanager
async def reminders_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the daily reminders while the app serves (when `reminders_enabled`; never without
    a template id)."""
    settings = app_settings(app, InspectionSettings)
    seconds = settings.reminders_check_seconds if settings.reminders_enabled else 0
    if seconds and not settings.reminder_template_id:
        log.warning("INSPECTION_REMINDER_TEMPLATE_ID is not set: reminders are not sent")
        seconds = 0
    sender = ReminderSender.from_settings(settings, engine_of(app))
    schedule = ReminderSchedule(sender, at=settings.reminders_at)
    metrics = metrics_of(app, ReminderMetrics)

    def look() -> None:
        metrics.count(schedule.look())

    async with every(seconds, look, what="inspection reminders"):
        yield


def send_reminders(settings: InspectionSettings, day: date | None) -> int:
    """`send-reminders`: plan the day's reminders and deliver the due ones; the exit code."""
    if not settings.reminder_template_id:
        print("INSPECTION_REMINDER_TEMPLATE_ID is not set: no reminder sent", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        sender = ReminderSender.from_settings(settings, engine)
        report = run_once(sender, today=day or today(), now=utcnow())
    finally:
        engine.dispose()
    print(report.summary())
    return 1 if report.delivery.failed or report.delivery.retrying else 0


def send_reminders_cli(argv: Sequence[str]) -> tuple[list[str], CliCommand]:
    """Take `send-reminders`' options out of `argv`: what is left for servicekit's command
    line, and the command running with them."""
    args = list(argv)
    day: date | None = None
    if args[:1] == [COMMAND]:
        parser = argparse.ArgumentParser(prog=f"python -m inspection {COMMAND}", description=HELP)
        parser.add_argument(
            "--date", type=date.fromisoformat, help="YYYY-MM-DD (default: today in Beijing)"
        )
        try:
            day = parser.parse_args(args[1:]).date
        except SystemExit as exc:  # argparse has printed why
            sys.exit(2 if exc.code else 0)
        args = args[:1]

    def run(settings: InspectionSettings) -> None:
        sys.exit(send_reminders(settings, day))

    return args, CliCommand(help=HELP, run=run)
