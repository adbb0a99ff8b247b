from sqlalchemy import text

from accounts.models import Table
from servicekit.db import downgrade, make_engine, upgrade
from servicekit.testing import assert_migrations_cycle, assert_models_match_migrations


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    assert_migrations_cycle("accounts", empty_database_url)


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    assert_models_match_migrations("accounts", empty_database_url, Table.metadata)


def test_stored_rules_come_to_name_intents_and_go_back(empty_database_url: str) -> None:
    """8c1f4a6e2d37 rewrites stored handler rules as intent rules, and its downgrade undoes it."""
    upgrade("accounts", empty_database_url, "5b7d2e91c4a0")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO account (code, name, category, description, status) "
                    "VALUES ('dgtq', '东莞天气', 'weather', '', 'active')"
                )
            )
            for position, (reply_type, handler) in enumerate(
                [("handler", "weather.today"), ("text", None)]
            ):
                conn.execute(
                    text(
                        "INSERT INTO keyword_rule (account_code, position, match, patterns, "
                        "reply_type, reply_text, handler, params) VALUES ('dgtq', :position, "
                        "'exact', '[\"天气\"]', :reply_type, :reply_text, :handler, '{}')"
                    ),
                    {
                        "position": position,
                        "reply_type": reply_type,
                        "reply_text": None if handler else "你好",
                        "handler": handler,
                    },
                )

        def rules(column: str) -> list[tuple[str, str | None]]:
            query = f"SELECT reply_type, {column} FROM keyword_rule ORDER BY position"
            with engine.connect() as conn:
                return [(r[0], r[1]) for r in conn.execute(text(query))]

        upgrade("accounts", empty_database_url)
        assert rules("intent") == [("intent", "weather.today"), ("text", None)]
        downgrade("accounts", empty_database_url, "5b7d2e91c4a0")
        assert rules("handler") == [("handler", "weather.today"), ("text", None)]
    finally:
        engine.dispose()
