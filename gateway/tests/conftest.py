"""Fixtures shared by the gateway tests: the real weather service as an upstream."""

from collections.abc import Iterator

import pytest

from servicekit.db import upgrade
from servicekit.settings import SharedSettings
from servicekit.testing import seed_database, serve_in_thread
from weather.main import create_app as create_weather_app
from weather.seed import seed
from weather.settings import WeatherSettings


@pytest.fixture(scope="session")
def weather_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real weather service on a migrated, seeded temporary database, served on a free port."""
    url = f"sqlite:///{tmp_path_factory.mktemp('weather') / 'weather.db'}"
    upgrade("weather", url)
    seed_database(url, seed)
    settings = WeatherSettings(database_url=url, shared=SharedSettings(env="dev"))
    with serve_in_thread(create_weather_app(settings)) as base:
        yield base
