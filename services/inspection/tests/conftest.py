"""Fixtures of the inspection tests: an app on a copy of the registry seeded on `ANCHOR`, whose
"now" is `ANCHOR` at noon in Dongguan."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from inspection.main import create_app
from inspection.population import Registry, generate_registry
from inspection.seed import seed_at
from inspection.settings import InspectionSettings
from servicekit.clock import SHANGHAI, current_time
from servicekit.settings import SharedSettings

ANCHOR = date(2026, 6, 15)


def seed_at_test_anchor(session: Session) -> str:
    """The registry, anchored on the tests' fixed day."""
    return seed_at(session, anchor=ANCHOR)


@pytest.fixture
def service_package() -> str:
    return "inspection"


@pytest.fixture
def service_seed() -> Callable[[Session], str]:
    return seed_at_test_anchor


@pytest.fixture
def client(seeded_database_url: str) -> Iterator[TestClient]:
    settings = InspectionSettings(
        database_url=seeded_database_url, shared=SharedSettings(env="dev")
    )
    app = create_app(settings)
    noon = datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, 12, tzinfo=SHANGHAI)
    app.dependency_overrides[current_time] = lambda: noon.astimezone(UTC)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The rows the tests' databases were seeded with."""
    return generate_registry(anchor=ANCHOR)
