"""Database pools: sized and bounded, renewed on PostgreSQL, and a saturated service answers 503
with Retry-After at once instead of stalling or failing with a 500."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from servicekit.app import create_service_app
from servicekit.db import DatabaseGate, make_engine
from servicekit.deps import SessionDep
from servicekit.errors import ServiceBusy
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.state import database_of


class PoolSettings(ServiceSettings):
    service_name: ClassVar[str] = "pooltest"


def test_engines_get_a_bounded_pool_and_postgres_pre_ping_and_recycling(tmp_path: Path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path}/x.db", pool_size=7, max_overflow=3, pool_timeout=1)
    postgres = make_engine("postgresql://u@127.0.0.1:1/db", pool_size=4)
    try:
        assert (sqlite.pool.size(), sqlite.pool._max_overflow, sqlite.pool._timeout) == (7, 3, 1)
        assert postgres.pool.size() == 4
        assert postgres.pool._pre_ping and 0 < postgres.pool._recycle <= 3600
    finally:
        sqlite.dispose()
        postgres.dispose()
    make_engine("sqlite://").dispose()


@pytest.mark.slow
def test_the_gate_admits_its_size_and_turns_the_rest_away_after_the_wait() -> None:
    gate = DatabaseGate(2, wait_seconds=0.2)

    async def scenario() -> list[str]:
        outcomes: list[str] = []

        async def visit(hold: float) -> None:
            try:
                async with gate.admit():
                    await asyncio.sleep(hold)
                    outcomes.append("served")
            except ServiceBusy as exc:
                assert exc.headers == {"Retry-After": "2"}
                outcomes.append("busy")

        await asyncio.gather(visit(1), visit(1), visit(0))
        # Places are given back: a later visit is served.
        await visit(0)
        return outcomes

    # Turned away after its wait, not served once a holder left.
    assert sorted(asyncio.run(scenario())) == ["busy", "served", "served", "served"]


@pytest.fixture
def busy_client(tmp_path: Path) -> Iterator[TestClient]:
    router = APIRouter()

    @router.get("/pool-exhausted")
    def pool_exhausted() -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached")

    @router.get("/one")
    def one(session: SessionDep) -> int:
        return session.execute(text("SELECT 1")).scalar_one()

    settings = PoolSettings(
        database_url=f"sqlite:///{tmp_path}/pool.db",
        shared=SharedSettings(env="dev"),
        db_pool_size=1,
        db_wait_seconds=0.2,
    )
    app = create_service_app(settings, title="pool", package="servicekit", routers=[router])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_an_exhausted_pool_is_a_503_problem_with_retry_after(busy_client: TestClient) -> None:
    response = busy_client.get("/pool-exhausted")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "2"
    assert "繁忙" in response.json()["detail"]


def test_sessions_wait_for_a_place_and_are_turned_away_when_none_frees(
    busy_client: TestClient,
) -> None:
    gate = database_of(busy_client.app).gate
    assert gate.size == 1 and busy_client.get("/one").json() == 1

    async def hold_the_only_place() -> None:
        async with gate.admit():
            response = await asyncio.to_thread(busy_client.get, "/one")
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "2"

    assert busy_client.portal is not None
    busy_client.portal.call(hold_the_only_place)
    assert busy_client.get("/one").json() == 1
