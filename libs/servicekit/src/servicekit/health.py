"""`/healthz` (alive) and `/readyz` (dependencies reachable, migrations at head)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from servicekit.db import migration_status

ReadinessCheck = Callable[[], Awaitable[dict[str, Any]]]


def database_check(package: str, engine: Engine) -> ReadinessCheck:
    """A readiness check: the database answers and its schema is at the migration head."""

    async def check() -> dict[str, Any]:
        try:
            status = await run_in_threadpool(migration_status, package, engine)
        except Exception as exc:  # any driver error means "not ready", never a 500
            return {"ready": False, "error": type(exc).__name__}
        return {"ready": status["at_head"], **status}

    return check


def install_health(app: FastAPI, checks: dict[str, ReadinessCheck]) -> None:
    """Add `/healthz` and `/readyz`; readiness is 503 while any check fails."""

    @app.get("/healthz", include_in_schema=False)
    async def _healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def _readyz() -> JSONResponse:
        results = {name: await check() for name, check in checks.items()}
        ready = all(r.get("ready") for r in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )
