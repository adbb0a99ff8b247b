"""Fixtures of the traffic tests: apps on seeded databases, with a clock the test controls.

The population is seeded once per session, anchored on `ANCHOR`, into a template database that
each test copies; "now" is `ANCHOR` at noon in Dongguan unless a test moves the clock.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from servicekit.settings import SharedSettings
from servicekit.testing import mint_token
from traffic.clock import SHANGHAI, current_time
from traffic.main import create_app
from traffic.population import DEMO_PEOPLE
from traffic.seed import seed_at
from traffic.settings import TrafficSettings

ANCHOR = date(2026, 6, 15)
CITIZENS = {p.key: p.citizen_id for p in DEMO_PEOPLE}


def seed_at_test_anchor(session: Session) -> str:
    """The full seed, anchored on the tests' fixed day."""
    return seed_at(session, anchor=ANCHOR)


@dataclass
class Clock:
    """The "now" the app sees; tests move it."""

    now: datetime

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def to_day(self, day: date) -> None:
        self.now = datetime.combine(day, self.now.timetz())


@pytest.fixture
def service_package() -> str:
    return "traffic"


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
        settings = TrafficSettings(
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
def anchor() -> date:
    """The day the test population is anchored on (and "today" until the clock moves)."""
    return ANCHOR


@pytest.fixture
def headers_of() -> Callable[[str], dict[str, str]]:
    """Headers of a demo citizen by key (zhangsan...) or of any citizen id, as the gateway
    sends them."""

    def headers(key: str) -> dict[str, str]:
        return mint_token("traffic", CITIZENS.get(key, key))

    return headers
