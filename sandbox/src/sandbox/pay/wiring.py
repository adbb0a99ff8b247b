"""What `sandbox.main` needs of the simulator: its routers and a lifespan that stops every
notification delivery when the sandbox stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sandbox.pay import api, page, sim

PAY_ROUTERS = (api.router, sim.router, page.router)


@asynccontextmanager
async def pay_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Cancel pending deliveries and close the notifier's HTTP client on shutdown."""
    try:
        yield
    finally:
        pay = getattr(app.state, "pay", None)
        if pay is not None:
            await pay.close()
