from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from servicekit.db import make_engine, migration_status, normalise_url
from servicekit.settings import DEV_INTERNAL_TOKEN_SECRET, ServiceSettings, SharedSettings


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_")
    service_name: ClassVar[str] = "demo"


def test_secret_is_required_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERNAL_TOKEN_SECRET", raising=False)
    monkeypatch.setenv("ENV", "prod")
    with pytest.raises(ValidationError, match="INTERNAL_TOKEN_SECRET"):
        SharedSettings()
    monkeypatch.setenv("ENV", "dev")
    assert SharedSettings().internal_token_secret == DEV_INTERNAL_TOKEN_SECRET
    monkeypatch.setenv("ENV", "prod")
    monkeypatch.setenv("INTERNAL_TOKEN_SECRET", "too-short")
    with pytest.raises(ValidationError, match="at least 32"):
        SharedSettings()


def test_environment_wins_over_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV", "prod")
    monkeypatch.setenv("INTERNAL_TOKEN_SECRET", "from-env-" + "x" * 32)
    monkeypatch.setenv("DEMO_DATABASE_URL", "sqlite:////tmp/demo.db")
    settings = DemoSettings()
    assert settings.shared.internal_token_secret == "from-env-" + "x" * 32
    assert settings.database_url == "sqlite:////tmp/demo.db"


def test_default_database_is_a_sqlite_file_named_after_the_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEMO_DATABASE_URL", raising=False)
    assert DemoSettings(shared=SharedSettings(env="dev")).database_url == "sqlite:///var/demo.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///var/x.db", "sqlite:///var/x.db"),
    ],
)
def test_postgres_urls_use_psycopg_3(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_unreachable_database_raises_for_readiness(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing-dir/../x.db")
    status = migration_status("weather", engine)
    assert status["at_head"] is False and status["current"] == []
