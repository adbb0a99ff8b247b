"""`create_service_app`: the one way every part builds its FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from servicekit.db import make_engine
from servicekit.docs import install_docs
from servicekit.errors import install_error_handlers
from servicekit.health import ReadinessCheck, database_check, install_health
from servicekit.logging import configure_logging
from servicekit.metrics import Metrics, install_metrics
from servicekit.middleware import RequestContextMiddleware
from servicekit.settings import ServiceSettings

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    package: str | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """Build an app with errors, health, metrics, docs, request ids and JSON logs installed.

    With `package`, the app owns a database: an engine on `settings.database_url` is put on
    `app.state.engine` and `/readyz` checks it is reachable and migrated to head.
    """
    name = settings.service_name
    configure_logging(name, settings.log_level)
    engine = make_engine(settings.database_url) if package else None
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
    )
    app.state.settings = settings
    app.state.service_name = name
    app.state.internal_token_secret = settings.shared.internal_token_secret
    app.state.engine = engine
    metrics = Metrics(name)
    app.state.metrics = metrics
    install_error_handlers(app)
    install_health(app, checks)
    install_metrics(app, metrics)
    install_docs(app, title=title)
    for router in routers:
        app.include_router(router)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
