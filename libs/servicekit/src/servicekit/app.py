"""`create_service_app`: the one way every part builds its FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute

from servicekit.db import DatabaseGate, make_engine
from servicekit.docs import install_docs
from servicekit.errors import install_error_handlers
from servicekit.health import ReadinessCheck, database_check, install_health
from servicekit.logging import configure_logging
from servicekit.metrics import Metrics, install_metrics
from servicekit.middleware import RequestContextMiddleware
from servicekit.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
OpenAPIProvider = Callable[[FastAPI], Awaitable[dict[str, Any]]]
OPENAPI_URL = "/openapi.json"


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    routes: Sequence[BaseRoute] = (),
    package: str | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    openapi: OpenAPIProvider | None = None,
    collectors: Sequence[Collector] = (),
) -> FastAPI:
    """Build an app with errors, health, metrics, docs, request ids and JSON logs installed.

    With `package`, the app owns a database: an engine on `settings.database_url` is put on
    `app.state.engine` and `/readyz` checks it is reachable and migrated to head.
    `routes` are plain Starlette routes matched before any other (the gateway's proxy: raw ASGI,
    and first so that its hot path does not try every other route).
    With `openapi`, `/openapi.json` (and so `/docs`) serves the document it returns instead of
    the app's own (the gateway serves the whole suite's). `collectors` add their samples to the
    app's `/metrics`.
    """
    name = settings.service_name
    configure_logging(name, settings.log_level)
    engine = (
        make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_wait_seconds,
        )
        if package
        else None
    )
    checks = dict(readiness or {})
    if engine is not None and package is not None:
        checks["database"] = database_check(package, engine)

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            if engine is not None:
                engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
        openapi_tags=openapi_tags,
        openapi_url=None if openapi is not None else OPENAPI_URL,
        routes=list(routes),
    )
    # The one place settings are kept: read them through servicekit.deps (SettingsDep,
    # settings_dependency, app_settings), never from app.state.
    app.state.settings = settings
    app.state.engine = engine
    app.state.db_gate = (
        DatabaseGate(settings.db_pool_size, wait_seconds=settings.db_wait_seconds)
        if engine is not None
        else None
    )
    metrics = Metrics(name)
    for collector in collectors:
        metrics.registry.register(collector)
    install_error_handlers(app)
    install_health(app, checks)
    install_metrics(app, metrics)
    if openapi is not None:
        provider = openapi

        async def _openapi(request: Request) -> JSONResponse:
            return JSONResponse(await provider(request.app))

        app.add_route(OPENAPI_URL, _openapi, include_in_schema=False)
    install_docs(app, title=title, openapi_url=OPENAPI_URL)
    for router in routers:
        app.include_router(router)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
