"""Fixtures of the socialsec tests: an app on a fresh, migrated and seeded database."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from servicekit.settings import SharedSettings
from servicekit.testing import seed_database
from socialsec.main import create_app
from socialsec.seed import seed
from socialsec.settings import SocialsecSettings


@pytest.fixture
def service_package() -> str:
    return "socialsec"


@pytest.fixture
def client(migrated_database_url: str) -> Iterator[TestClient]:
    seed_database(migrated_database_url, seed)
    settings = SocialsecSettings(
        database_url=migrated_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
