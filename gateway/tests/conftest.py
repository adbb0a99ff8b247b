"""Fixtures shared by the gateway tests: the real weather service as an upstream, and Redis."""

from collections.abc import Iterator

import pytest
import redis

from servicekit.settings import SharedSettings
from servicekit.testing import require, serve_seeded_service
from weather.main import create_app as create_weather_app
from weather.seed import seed
from weather.settings import WeatherSettings


@pytest.fixture(scope="session")
def weather_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real weather service on a migrated, seeded temporary database, served on a free port."""
    with serve_seeded_service(
        package="weather",
        folder=tmp_path_factory.mktemp("weather"),
        seed=seed,
        app_factory=lambda url: create_weather_app(
            WeatherSettings(database_url=url, shared=SharedSettings(env="dev"))
        ),
    ) as base:
        yield base


# A database of the local Redis that no other part of the suite uses; flushed around each test.
TEST_REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An empty Redis database (skips locally without Redis; fails under CI=true)."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        client.close()
        require(f"Redis not reachable at {TEST_REDIS_URL}: {exc}")
    try:
        yield TEST_REDIS_URL
    finally:
        client.flushdb()
        client.close()
