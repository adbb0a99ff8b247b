"""`create_service_app`: the one way every part builds its FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client.registry import Collector
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from servicekit.docs import install_docs
from servicekit.errors import install_error_handlers
from servicekit.health import ReadinessCheck, database_check, install_health
from servicekit.http_cache import HttpCacheMiddleware, ResponseCache
from servicekit.logging import configure_logging
from servicekit.metrics import Metrics, install_metrics
from servicekit.middleware import RequestContextMiddleware
from servicekit.openapi import install_openapi, unique_id_function
from servicekit.settings import ServiceSettings
from servicekit.state import Database, ServiceState, keep
from servicekit.tracing import tracer_for

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
OpenAPIProvider = Callable[[FastAPI], Awaitable[dict[str, Any]]]
OPENAPI_URL = "/openapi.json"


def _closing(state: ServiceState, lifespan: Lifespan | None) -> Lifespan:
    """The app's lifespan: `lifespan` (if any), then the database's connections closed."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            state.close()

    return run


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
    middleware: Sequence[Middleware] = (),
) -> FastAPI:
    """Build an app with errors, health, metrics, docs, request ids, tracing and JSON logs
    installed.

    With `package`, the app owns a database: an engine on `settings.database_url` (read it with
    `servicekit.state.engine_of`) and `/readyz` checks it is reachable and migrated to head; its
    public GETs get ETags, 304s and a short in-memory cache (`servicekit.http_cache`).
    `routes` are plain Starlette routes matched before any other (the gateway's proxy: raw ASGI,
    and first so that its hot path does not try every other route).
    With `openapi`, `/openapi.json` (and so `/docs`) serves the document it returns instead of
    the app's own (the gateway serves the whole suite's). `collectors` add their samples to the
    app's `/metrics`. `middleware` (outermost first) runs within the request context, so what
    it answers itself is logged and counted too.
    """
    name = settings.service_name
    configure_logging(name, settings.log_level)
    state = ServiceState(settings, Database.open(settings) if package else None)
    checks = dict(readiness or {})
    if state.database is not None and package is not None:
        checks["database"] = database_check(package, state.database.engine)
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        docs_url=None,
        redoc_url=None,
        lifespan=_closing(state, lifespan),
        openapi_tags=openapi_tags,
        openapi_url=None if openapi is not None else OPENAPI_URL,
        routes=list(routes),
        middleware=list(middleware),
        generate_unique_id_function=unique_id_function(name),
        # Our middleware makes the server span and the metrics; FastAPI's own telemetry would
        # make them twice once a tracer provider is set, and looks one up on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_openapi(app, name)
    keep(app, ServiceState, state)
    metrics = Metrics(name)
    keep(app, Metrics, metrics)
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
    if package is not None:
        cache = ResponseCache(settings.response_cache_seconds)
        app.add_middleware(HttpCacheMiddleware, cache=cache)
    tracer = tracer_for(name, settings.shared.tracing_exporter)
    app.add_middleware(RequestContextMiddleware, metrics=metrics, tracer=tracer)
    return app
