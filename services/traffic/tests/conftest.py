"""Fixtures of the traffic tests: an app on a fresh, migrated and seeded database."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from servicekit.settings import SharedSettings
from servicekit.testing import seed_database
from traffic.main import create_app
from traffic.seed import seed
from traffic.settings import TrafficSettings


@pytest.fixture
def service_package() -> str:
    return "traffic"


@pytest.fixture
def client(migrated_database_url: str) -> Iterator[TestClient]:
    seed_database(migrated_database_url, seed)
    settings = TrafficSettings(database_url=migrated_database_url, shared=SharedSettings(env="dev"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client
