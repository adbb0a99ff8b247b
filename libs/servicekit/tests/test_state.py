"""An app's typed state: kept once by the module that builds it, read back checked."""

from pathlib import Path
from typing import ClassVar

import pytest
from fastapi import FastAPI

from servicekit.app import create_service_app
from servicekit.settings import ServiceSettings, SharedSettings
from servicekit.state import database_of, engine_of, keep, kept, service_state


class StateSettings(ServiceSettings):
    service_name: ClassVar[str] = "statetest"


class Cache:
    """A part's own state, kept beside servicekit's."""


def settings(tmp_path: Path) -> StateSettings:
    return StateSettings(
        database_url=f"sqlite:///{tmp_path}/s.db", shared=SharedSettings(env="dev")
    )


def test_an_app_with_a_database_keeps_its_settings_engine_and_gate(tmp_path: Path) -> None:
    app = create_service_app(settings(tmp_path), title="state", package="servicekit")
    state = service_state(app)
    assert isinstance(state.settings, StateSettings)
    assert engine_of(app) is database_of(app).engine
    assert database_of(app).gate.size == state.settings.db_pool_size


def test_an_app_without_a_database_has_no_engine(tmp_path: Path) -> None:
    app = create_service_app(settings(tmp_path), title="state")
    assert service_state(app).database is None
    with pytest.raises(RuntimeError, match="no database"):
        engine_of(app)


def test_a_part_keeps_its_own_state_by_type() -> None:
    app, cache = FastAPI(), Cache()
    with pytest.raises(LookupError, match="no Cache"):
        kept(app, Cache)
    keep(app, Cache, cache)
    assert kept(app, Cache) is cache
    with pytest.raises(LookupError, match="no ServiceState"):
        service_state(app)
