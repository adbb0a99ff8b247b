"""Substring search takes `%`, `_` and the escape character literally."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select

from servicekit.search import contains, contains_pattern


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("交警", "%交警%"),
        ("7000+", "%7000+%"),
        ("100%", "%100\\%%"),
        ("a_b", "%a\\_b%"),
        ("a\\b", "%a\\\\b%"),
        ("%_", "%\\%\\_%"),
    ],
)
def test_contains_pattern_takes_wildcards_literally(text: str, pattern: str) -> None:
    assert contains_pattern(text) == pattern


ROWS = ["rate 16%", "a_b", "axb", "back\\slash", "Plain"]


@pytest.mark.parametrize(
    ("text", "ignore_case", "found"),
    [
        ("%", False, ["rate 16%"]),
        ("_", False, ["a_b"]),
        ("a_b", False, ["a_b"]),
        ("\\", False, ["back\\slash"]),
        ("plain", True, ["Plain"]),
        ("%", True, ["rate 16%"]),
    ],
)
def test_contains_matches_only_the_literal_text(
    text: str, ignore_case: bool, found: list[str]
) -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", String))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"v": v} for v in ROWS])
        query = select(table.c.v).where(contains(table.c.v, text, ignore_case=ignore_case))
        assert sorted(conn.execute(query).scalars()) == found
