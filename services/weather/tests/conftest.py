"""Fixtures of the weather tests: an app on its own copy of a migrated, seeded database."""

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.settings import SharedSettings
from servicekit.testing import mint_token
from weather.main import create_app
from weather.seed import seed
from weather.settings import WeatherSettings


@pytest.fixture
def service_package() -> str:
    return "weather"


@pytest.fixture
def service_seed() -> Callable[[Session], str]:
    return seed


@pytest.fixture
def client(seeded_database_url: str) -> Iterator[TestClient]:
    settings = WeatherSettings(database_url=seeded_database_url, shared=SharedSettings(env="dev"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def forecaster() -> dict[str, str]:
    """Headers of a forecaster (internal tokens live 60 s: enough for one test)."""
    return mint_token("weather", "staff-wu", ["forecaster"], kind="staff")
