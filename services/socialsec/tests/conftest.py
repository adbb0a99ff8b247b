"""Fixtures of the socialsec tests: apps on seeded databases, with a clock the test controls.

The population is seeded once per session, anchored on `ANCHOR`, into a template database that
each test copies; "now" is `ANCHOR` at noon in Dongguan unless a test moves the clock.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.clock import SHANGHAI, current_time
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token
from socialsec.main import create_app
from socialsec.population import DEMO_PEOPLE
from socialsec.seed import seed_at
from socialsec.settings import SocialsecSettings

ANCHOR = date(2026, 6, 15)
CITIZENS = {p.citizen.id: p.citizen_id for p in DEMO_PEOPLE if p.citizen_id}
Headers = Callable[[str], dict[str, str]]


def seed_at_test_anchor(session: Session) -> str:
    """The full seed, anchored on the tests' fixed day."""
    return seed_at(session, anchor=ANCHOR)


@dataclass
class Clock:
    """The "now" the app sees; tests move it."""

    now: datetime

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def service_package() -> str:
    return "socialsec"


@pytest.fixture
def service_seed() -> Callable[[Session], str]:
    return seed_at_test_anchor


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(ANCHOR.year, ANCHOR.month, ANCHOR.day, 12, tzinfo=SHANGHAI))


@pytest.fixture
def make_client(seeded_database_url: str, clock: Clock) -> Iterator[Callable[..., TestClient]]:
    """Build clients on this test's seeded database, with settings overridden as given."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        settings = SocialsecSettings(
            database_url=seeded_database_url, shared=SharedSettings(env="dev"), **overrides
        )
        app = create_app(settings)
        app.dependency_overrides[current_time] = lambda: clock.now.astimezone(UTC)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def headers_of() -> Headers:
    """Headers of a demo citizen by key (zhangsan...) or of any citizen id, as the gateway
    sends them."""

    def headers(key: str) -> dict[str, str]:
        return mint_token("socialsec", CITIZENS.get(key, key))

    return headers
