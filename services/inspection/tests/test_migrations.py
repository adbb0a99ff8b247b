from inspection.models import Table
from servicekit.testing import assert_migrations_cycle, assert_models_match_migrations


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    assert_migrations_cycle("inspection", empty_database_url)


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    assert_models_match_migrations("inspection", empty_database_url, Table.metadata)
