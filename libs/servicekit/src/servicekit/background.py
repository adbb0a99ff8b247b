"""Blocking jobs run on a schedule inside a service, from its app's lifespan.

Each run goes to a worker thread (the jobs use synchronous database sessions and HTTP clients),
so the event loop keeps serving. A failing run is logged and the loop goes on: the database or
an upstream may be briefly away, and the next run tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from servicekit.tracing import job_span

log = logging.getLogger("servicekit.background")


async def run_periodically(
    work: Callable[[], object], *, interval: float, stop: asyncio.Event, what: str
) -> None:
    """Run the blocking `work` in a thread every `interval` seconds until `stop` is set; an
    error is logged as `what` failing and the loop goes on."""
    while not stop.is_set():
        # Each run a trace of its own: the thread inherits it, and its calls carry it on.
        with job_span(what):
            try:
                await asyncio.to_thread(work)
            except Exception:
                log.exception("%s failed; the next run tries again", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


@contextlib.asynccontextmanager
async def every(seconds: float, work: Callable[[], object], *, what: str) -> AsyncIterator[None]:
    """Run the blocking `work` every `seconds` while the context lasts (0: never); leaving waits
    for a run in flight to end."""
    if seconds <= 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_periodically(work, interval=seconds, stop=stop, what=what))
    try:
        yield
    finally:
        stop.set()
        await task
