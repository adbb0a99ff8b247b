"""The sandbox's shared objects, typed: the simulated platform and the WeChat Pay simulator.

`install` builds both for `create_app`; routes take them with `SandboxDep` and `PayDep`, and the
lifespan stops the simulator's deliveries. This module is the only one that touches Starlette's
untyped `app.state`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from starlette.applications import Starlette

from sandbox.pay.store import PayState
from sandbox.settings import SandboxSettings
from sandbox.state import SandboxState


def install(app: Starlette, settings: SandboxSettings) -> SandboxState:
    """Give `app` a fresh simulated world and a WeChat Pay simulator on its clock."""
    state = SandboxState(settings)
    app.state.sandbox = state
    app.state.pay = PayState(settings, state.clock)
    return state


def sandbox_of(app: Starlette) -> SandboxState:
    """The simulated platform `install` gave `app`."""
    state: SandboxState = app.state.sandbox
    return state


def pay_of(app: Starlette) -> PayState:
    """The WeChat Pay simulator `install` gave `app`."""
    pay: PayState = app.state.pay
    return pay


# Dependencies are `async def` so they run on the event loop with the handlers (a plain `def`
# would run in the threadpool, beside other requests changing the same state).
async def request_sandbox(request: Request) -> SandboxState:
    """FastAPI dependency: the simulated platform of the app serving `request`."""
    return sandbox_of(request.app)


async def request_pay(request: Request) -> PayState:
    """FastAPI dependency: the WeChat Pay simulator of the app serving `request`."""
    return pay_of(request.app)


SandboxDep = Annotated[SandboxState, Depends(request_sandbox)]
PayDep = Annotated[PayState, Depends(request_pay)]


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Cancel pending payment notifications and close their HTTP client on shutdown."""
    try:
        yield
    finally:
        await pay_of(app).close()
