"""The in-service scheduler of the daily bulletin push (`WEATHER_BULLETIN_SCHEDULE=true`).

At the push time (16:00 Asia/Shanghai by default) it runs the same push as
`python -m weather push-bulletin` for today; started between the push time and midnight with
today's bulletin not yet sent, it pushes once straight away. A failed push is retried a few times
with growing pauses; after the last it waits for the next day. Every replica may run it: the push
itself is once per date (`weather.bulletin_push`). The loop never lets an error out (the service
keeps serving) and stops when the app shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from servicekit.clock import SHANGHAI
from servicekit.deps import app_settings
from servicekit.state import engine_of, keep, kept
from weather.bulletin_push import BulletinPusher, Outcome, PushResult
from weather.charts import app_charts
from weather.clock import now_local
from weather.settings import WeatherSettings

log = logging.getLogger("weather.bulletin_schedule")

# The loop looks at the clock at least this often, so a clock change or a suspended machine
# delays the push by at most this much.
MAX_SLEEP_SECONDS = 60.0
SETTLED = (Outcome.SENT, Outcome.ALREADY_SENT)


def next_run(now: datetime, push_at: time, handled: date | None) -> datetime:
    """When to push next, in Asia/Shanghai: `now` itself when due now.

    `handled` is the latest local date whose push is settled (sent, or given up after the
    retries). Today's push is due from the push time until midnight unless today is handled;
    otherwise the next push time still ahead.
    """
    local_now = now.astimezone(SHANGHAI)
    today = local_now.date()
    at_today = datetime.combine(today, push_at, SHANGHAI)
    if handled is not None and handled >= today:
        return datetime.combine(today + timedelta(days=1), push_at, SHANGHAI)
    return local_now if local_now >= at_today else at_today


def backoff_seconds(*, failures: int, base: float, cap: float) -> float:
    """The pause after the `failures`-th failed attempt: base, 2 base, 4 base, ... up to cap."""
    return min(cap, base * 2 ** max(failures - 1, 0))


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed push is tried again in a day, and how long to pause in between."""

    attempts: int
    backoff_base: float
    backoff_max: float

    @classmethod
    def from_settings(cls, settings: WeatherSettings) -> RetryPolicy:
        """The retries the weather settings ask for."""
        return cls(
            settings.bulletin_retry_attempts,
            settings.bulletin_retry_backoff_seconds,
            settings.bulletin_retry_backoff_max_seconds,
        )

    def pause(self, failures: int) -> float:
        """The pause after the `failures`-th failed attempt."""
        return backoff_seconds(failures=failures, base=self.backoff_base, cap=self.backoff_max)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds` or until `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0))


class BulletinScheduler:
    """Pushes today's bulletin at the push time, with retries; see the module."""

    def __init__(
        self,
        pusher: BulletinPusher,
        *,
        push_at: time,
        retry: RetryPolicy,
        clock: Callable[[], datetime] = now_local,
    ) -> None:
        self.pusher = pusher
        self.push_at = push_at
        self.retry = retry
        self.clock = clock
        self.stop = asyncio.Event()
        # Lets a push that waits for another replica's claim notice the shutdown.
        self.stop_thread = threading.Event()
        self.handled: date | None = None
        self.results: list[PushResult] = []

    async def run(self) -> None:
        """Loop until `stop` is set; never raises."""
        log.info("bulletin scheduler started", extra={"push_at": self.push_at.isoformat()})
        while not self.stop.is_set():
            try:
                await self._step()
            except Exception:  # the database may be briefly unreachable: try again shortly
                log.exception("bulletin scheduler step failed")
                await _wait(self.stop, MAX_SLEEP_SECONDS)
        log.info("bulletin scheduler stopped")

    async def _step(self) -> None:
        now = self.clock()
        today = now.astimezone(SHANGHAI).date()
        if self.handled != today and await run_in_threadpool(self.pusher.is_sent, today):
            self.handled = today
        due = next_run(now, self.push_at, self.handled)
        delay = (due - now).total_seconds()
        if delay > 0:
            await _wait(self.stop, min(delay, MAX_SLEEP_SECONDS))
            return
        await self.push_with_retries(today)
        self.handled = today

    async def push_with_retries(self, bulletin_date: date) -> PushResult | None:
        """Push, retrying failures with backoff; the last result (None if stopped first)."""
        result = None
        for attempt in range(1, self.retry.attempts + 1):
            if self.stop.is_set():
                return result
            try:
                result = await run_in_threadpool(
                    self.pusher.push, bulletin_date, stop=self.stop_thread
                )
            except Exception:
                log.exception("bulletin push raised", extra={"date": bulletin_date.isoformat()})
                result = None
            if result is not None:
                self.results.append(result)
                log.log(
                    logging.INFO if result.outcome in SETTLED else logging.WARNING,
                    result.message,
                    extra={
                        "date": bulletin_date.isoformat(),
                        "outcome": result.outcome.value,
                        "msg_id": result.msg_id,
                        "attempt": attempt,
                    },
                )
                if result.outcome in SETTLED:
                    return result
            if attempt < self.retry.attempts:
                await _wait(self.stop, self.retry.pause(attempt))
        log.error(
            "bulletin push gave up for the day; run `python -m weather push-bulletin` to retry",
            extra={"date": bulletin_date.isoformat(), "attempts": self.retry.attempts},
        )
        return result

    def request_stop(self) -> None:
        """Ask the loop (and a push waiting for another run) to stop."""
        self.stop.set()
        self.stop_thread.set()


def app_scheduler(app: Starlette) -> BulletinScheduler | None:
    """The scheduler `bulletin_lifespan` runs for `app` (None while it is off)."""
    try:
        return kept(app, BulletinScheduler)
    except LookupError:
        return None


@contextlib.asynccontextmanager
async def bulletin_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the scheduler while the app serves, when `bulletin_schedule` is on."""
    settings = app_settings(app, WeatherSettings)
    if not settings.bulletin_schedule:
        yield
        return
    pusher = BulletinPusher.from_settings(settings, engine_of(app), charts=app_charts(app))
    scheduler = BulletinScheduler(
        pusher, push_at=settings.bulletin_push_at, retry=RetryPolicy.from_settings(settings)
    )
    keep(app, BulletinScheduler, scheduler)
    task = asyncio.create_task(scheduler.run(), name="bulletin-scheduler")
    try:
        yield
    finally:
        scheduler.request_stop()
        # A push in flight settles its row within one gateway call.
        grace = settings.bulletin_timeout_seconds + 5
        try:
            await asyncio.wait_for(task, timeout=grace)
        except TimeoutError:
            log.warning("bulletin scheduler did not stop in time")
