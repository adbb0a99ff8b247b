"""Running statistics imports (`accounts.statistics_import`): per day, from the app or by hand.

The accounts imported are the active ones with a chat configuration (the official accounts the
gateway serves). With `ACCOUNTS_STATISTICS_IMPORT_ENABLED=true` the app looks every
`statistics_import_check_seconds` for the latest day the platform has ready (`ready_day`) and
imports it for each account not imported yet: once per (account, day) however many replicas
look, as each day is claimed. By hand (or from cron):

    python -m accounts import-statistics [--date YYYY-MM-DD] [--account CODE]

imports the day (default: the latest ready one) again for one account or all, replacing what an
earlier import of that day wrote. Exit codes: 0 imported; 1 some failed (recorded; running it
again retries, and a day not over yet is one); 2 usage; 3 another run holds a day right now.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from accounts.models import Account, ChatConfig
from accounts.settings import AccountsSettings
from accounts.statistics_import import (
    DatacubeClient,
    ImportFailed,
    claim_day,
    fail_day,
    write_day,
)
from servicekit.background import run_periodically
from servicekit.cli import CliCommand
from servicekit.clock import SHANGHAI, utcnow
from servicekit.db import make_engine
from servicekit.deps import app_settings
from servicekit.state import engine_of

log = logging.getLogger("accounts.statistics_schedule")

COMMAND = "import-statistics"
HELP = "import a day's statistics from the platform's data APIs through the gateway (统计导入)"
Outcome = Literal["imported", "already", "busy", "failed"]
EXIT_CODES = {"failed": 1, "busy": 3}


def ready_day(now: datetime, ready_at: time) -> date:
    """The latest China day the platform has statistics for at `now`.

    Yesterday from `ready_at` (WeChat's 08:00) on, the day before yesterday until then.
    """
    local = now.astimezone(SHANGHAI)
    back = 1 if local.time() >= ready_at else 2
    return local.date() - timedelta(days=back)


@dataclass(frozen=True)
class StatisticsImporter:
    """Imports account days through the gateway, each claimed by one runner at a time."""

    engine: Engine
    client: DatacubeClient
    lease: float
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: AccountsSettings, engine: Engine) -> StatisticsImporter:
        """The importer the settings describe."""
        client = DatacubeClient(
            gateway_url=settings.gateway_url,
            secret=settings.shared.internal_token_secret,
            timeout=settings.statistics_import_timeout_seconds,
        )
        return cls(engine, client, settings.statistics_import_lease_seconds)

    def accounts(self) -> list[str]:
        """The codes of the active accounts with a chat configuration."""
        with Session(self.engine) as session:
            query = (
                select(Account.code)
                .join(ChatConfig, col(ChatConfig.account_code) == col(Account.code))
                .where(Account.status == "active")
                .order_by(col(Account.code))
            )
            return list(session.exec(query).all())

    def import_day(self, account_code: str, day: date, *, again: bool) -> Outcome:
        """Import the account's day unless it was (`again` imports it anew) or is being."""
        with Session(self.engine) as session:
            claim = claim_day(
                session=session,
                account_code=account_code,
                day=day,
                now=self.clock(),
                lease=self.lease,
                again=again,
            )
        if claim != "claimed":
            return "already" if claim == "done" else "busy"
        try:
            data = self.client.day(account_code, day)
        except ImportFailed as exc:
            log.warning("statistics import failed: %s", exc, extra={"account": account_code})
            with Session(self.engine) as session:
                fail_day(session=session, account_code=account_code, day=day, error=str(exc))
            return "failed"
        with Session(self.engine) as session:
            row = write_day(
                session=session, account_code=account_code, day=day, data=data, now=self.clock()
            )
        log.info(
            "statistics imported",
            extra={"account": account_code, "day": day.isoformat(), "reads": row.reads},
        )
        return "imported"

    def import_all(
        self, day: date, *, again: bool, codes: Sequence[str] | None = None
    ) -> dict[str, Outcome]:
        """Import the day for `codes` (default: every account imported) in turn."""
        return {code: self.import_day(code, day, again=again) for code in codes or self.accounts()}


class StatisticsSchedule:
    """The app's background imports: the latest ready day of each account, once, looked for
    every `check_seconds`."""

    def __init__(
        self, importer: StatisticsImporter, *, ready_at: time, check_seconds: float
    ) -> None:
        self.importer, self.ready_at, self.check_seconds = importer, ready_at, check_seconds
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def import_ready_day(self) -> None:
        """One pass: the latest ready day of each account not imported yet."""
        self.importer.import_all(ready_day(self.importer.clock(), self.ready_at), again=False)

    async def __aenter__(self) -> StatisticsSchedule:
        self.task = asyncio.create_task(
            run_periodically(
                self.import_ready_day,
                interval=self.check_seconds,
                stop=self.stop,
                what="statistics import pass",
            )
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        self.stop.set()
        if self.task is not None:
            # An account's import in flight ends within its four gateway calls.
            grace = 4 * self.importer.client.timeout + 5
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.task, timeout=grace)


@contextlib.asynccontextmanager
async def statistics_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the import schedule while the app serves (when `statistics_import_enabled`)."""
    settings = app_settings(app, AccountsSettings)
    schedule: contextlib.AbstractAsyncContextManager[object] = contextlib.nullcontext()
    if settings.statistics_import_enabled:
        importer = StatisticsImporter.from_settings(settings, engine_of(app))
        at, every = settings.statistics_import_at, settings.statistics_import_check_seconds
        schedule = StatisticsSchedule(importer, ready_at=at, check_seconds=every)
    async with schedule:
        yield


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m accounts {COMMAND}", description=HELP)
    parser.add_argument(
        "--date", type=date.fromisoformat, help="YYYY-MM-DD (default: latest ready)"
    )
    parser.add_argument("--account", action="append", dest="accounts", metavar="CODE")
    return parser


def import_statistics_cli(argv: Sequence[str]) -> tuple[list[str], CliCommand]:
    """Take `import-statistics`' options out of `argv`: what is left for servicekit's command
    line, and the command running the import with them."""
    args = list(argv)
    options = argparse.Namespace(date=None, accounts=None)
    if args[:1] == [COMMAND]:
        try:
            options = _parser().parse_args(args[1:])
        except SystemExit as exc:  # argparse has printed why
            sys.exit(2 if exc.code else 0)
        args = args[:1]

    def run(settings: AccountsSettings) -> None:
        sys.exit(import_statistics(settings, options.date, options.accounts))

    return args, CliCommand(help=HELP, run=run)


def import_statistics(
    settings: AccountsSettings, day: date | None, codes: Sequence[str] | None
) -> int:
    """`import-statistics`: import the day again for the accounts; the exit code."""
    # A day the platform has not closed yet it refuses itself (61501): its clock decides.
    day = day or ready_day(utcnow(), settings.statistics_import_at)
    engine = make_engine(settings.database_url)
    try:
        outcomes = StatisticsImporter.from_settings(settings, engine).import_all(
            day, again=True, codes=codes
        )
    finally:
        engine.dispose()
    for code, outcome in outcomes.items():
        print(f"statistics {day} {code}: {outcome}")
    return max((EXIT_CODES.get(o, 0) for o in outcomes.values()), default=0)
