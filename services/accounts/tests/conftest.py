"""Fixtures of the accounts tests: an app on a fresh, migrated and seeded database."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.main import create_app
from accounts.seed import seed
from accounts.settings import AccountsSettings
from servicekit.db import make_engine
from servicekit.settings import SharedSettings


@pytest.fixture
def service_package() -> str:
    return "accounts"


@pytest.fixture
def client(migrated_database_url: str) -> Iterator[TestClient]:
    engine = make_engine(migrated_database_url)
    with Session(engine) as session:
        seed(session)
    engine.dispose()
    settings = AccountsSettings(
        database_url=migrated_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
