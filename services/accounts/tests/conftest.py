"""Fixtures of the accounts tests: an app on a fresh, migrated and seeded database."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.main import create_app
from accounts.registry_seed import seed_chat_config, seed_registry
from accounts.seed import seed
from accounts.settings import AccountsSettings
from servicekit.settings import SharedSettings
from servicekit.testing import SeededTemplates, database_from_template


@pytest.fixture
def service_package() -> str:
    return "accounts"


@pytest.fixture
def service_seed() -> Callable[[Session], str]:
    return seed


@pytest.fixture
def client(seeded_database_url: str) -> Iterator[TestClient]:
    settings = AccountsSettings(database_url=seeded_database_url, shared=SharedSettings(env="dev"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _seed_registry_only(session: Session) -> str:
    """The registry's part of the seed: accounts and chat configuration, no statistics."""
    return "; ".join([seed_registry(session=session), seed_chat_config(session=session)])


@pytest.fixture
def registry_database_url(seeded_templates: SeededTemplates, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own seeded with the registry only (no statistics)."""
    template = seeded_templates.template("accounts-registry", "accounts", _seed_registry_only)
    with database_from_template(template, tmp_path) as url:
        yield url


def _seed_accounts_only(session: Session) -> str:
    """The registry's accounts alone."""
    return seed_registry(session=session)


@pytest.fixture
def registry_only_database_url(seeded_templates: SeededTemplates, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own with the registry's accounts alone (no chat configuration,
    no statistics): for tests that make their own."""
    template = seeded_templates.template("accounts-registry-only", "accounts", _seed_accounts_only)
    with database_from_template(template, tmp_path) as url:
        yield url


@pytest.fixture
def registry_client(registry_database_url: str) -> Iterator[TestClient]:
    """A client on `registry_database_url`: quicker for tests that need no statistics."""
    settings = AccountsSettings(
        database_url=registry_database_url, shared=SharedSettings(env="dev")
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
