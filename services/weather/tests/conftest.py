"""Fixtures of the weather tests: an app on a fresh, migrated and seeded database."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from servicekit.settings import SharedSettings
from servicekit.testing import seed_database
from weather.main import create_app
from weather.seed import seed
from weather.settings import WeatherSettings


@pytest.fixture
def service_package() -> str:
    return "weather"


@pytest.fixture
def client(migrated_database_url: str) -> Iterator[TestClient]:
    seed_database(migrated_database_url, seed)
    settings = WeatherSettings(database_url=migrated_database_url, shared=SharedSettings(env="dev"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client
