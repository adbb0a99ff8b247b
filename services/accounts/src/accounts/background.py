"""The accounts service's background work: loops started by the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

log = logging.getLogger("accounts.background")
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


async def run_periodically(
    work: Callable[[], object], *, interval: float, stop: asyncio.Event, what: str
) -> None:
    """Run the blocking `work` in a thread every `interval` seconds until `stop` is set; an
    error is logged as `what` failing and the loop goes on (the database may be briefly away)."""
    while not stop.is_set():
        try:
            await run_in_threadpool(work)
        except Exception:
            log.exception("%s failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def lifespans(*parts: Lifespan) -> Lifespan:
    """One lifespan running `parts` nested, the first outermost."""

    @contextlib.asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for part in parts:
                await stack.enter_async_context(part(app))
            yield

    return run
