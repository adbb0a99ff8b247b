"""Substring search in SQL, with the caller's text taken literally.

A citizen typing `%` or `_` means those characters, not LIKE's wildcards: without escaping,
`q=%` matched every row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%`, `_` and the escape taken literally."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def contains(column: Any, text: str, *, ignore_case: bool = False) -> ColumnElement[bool]:
    """`column` contains `text` literally (LIKE, or ILIKE with `ignore_case`)."""
    pattern = contains_pattern(text)
    if ignore_case:
        return column.ilike(pattern, escape=LIKE_ESCAPE)
    return column.like(pattern, escape=LIKE_ESCAPE)
