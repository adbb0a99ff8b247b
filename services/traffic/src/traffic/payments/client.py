"""The app's one WeChat Pay client: kept with the app, handed to routes as `WeChatPayDep` (and
to scripts and tests by `pay_client_of`), running reconciliation while the app serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.applications import Starlette

from servicekit.deps import app_settings
from servicekit.metrics import metrics_of
from servicekit.state import engine_of
from traffic.payments.metrics import PaymentMetrics
from traffic.payments.provider import WechatPayClient
from traffic.payments.schedule import notice_schedule, reconcile_schedule
from traffic.settings import TrafficSettings


def keep_pay_client(app: Starlette, pay: WechatPayClient) -> None:
    """Make `pay` the app's client, the one `pay_client_of` answers."""
    app.state.wechatpay = pay


def pay_client_of(app: Starlette) -> WechatPayClient:
    """The client `keep_pay_client` gave the app."""
    pay = app.state.wechatpay
    if not isinstance(pay, WechatPayClient):
        raise TypeError(f"the app's pay client is a {type(pay).__name__}, not a WechatPayClient")
    return pay


def get_pay_client(request: Request) -> WechatPayClient:
    """The app's pay client, as a FastAPI dependency."""
    return pay_client_of(request.app)


WeChatPayDep = Annotated[WechatPayClient, Depends(get_pay_client)]


@asynccontextmanager
async def pay_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves, reconciliation and the payment notices run on their schedules;
    then the client is closed."""
    pay = pay_client_of(app)
    try:
        settings = app_settings(app, TrafficSettings)
        engine = engine_of(app)
        metrics = metrics_of(app, PaymentMetrics)
        async with (
            reconcile_schedule(engine, pay, settings, metrics),
            notice_schedule(engine, settings, metrics),
        ):
            yield
    finally:
        pay.close()
