"""`create_app`: the gateway's FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import federation
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from gateway.wechat import routes as wechat_routes
from servicekit.app import create_service_app


def create_app(settings: GatewaySettings) -> FastAPI:
    """Build the gateway on `settings`."""
    upstreams = Upstreams(
        settings.upstream_urls(),
        connect_timeout=settings.connect_timeout_seconds,
        total_timeout=settings.upstream_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await upstreams.start()
        try:
            yield
        finally:
            await upstreams.close()

    app = create_service_app(
        settings,
        title="guanwei 东莞政务服务网关",
        description="东莞政务微信公众号服务的统一入口。",
        routers=[wechat_routes.router, federation.router],
        lifespan=lifespan,
    )
    app.state.upstreams = upstreams
    return app
