from servicekit.testing import assert_migrations_cycle, assert_models_match_migrations
from socialsec.models import Table


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    assert_migrations_cycle("socialsec", empty_database_url)


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    assert_models_match_migrations("socialsec", empty_database_url, Table.metadata)
