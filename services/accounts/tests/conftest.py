"""Fixtures of the accounts tests: an app on a fresh, migrated and seeded database."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accounts.main import create_app
from accounts.seed import seed
from accounts.settings import AccountsSettings
from servicekit.settings import SharedSettings
from servicekit.testing import seed_database


@pytest.fixture
def service_package() -> str:
    return "accounts"


@pytest.fixture
def client(migrated_database_url: str) -> Iterator[TestClient]:
    seed_database(migrated_database_url, seed)
    settings = AccountsSettings(
        database_url=migrated_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
