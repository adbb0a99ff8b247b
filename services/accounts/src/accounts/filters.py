"""Search conditions of the account list, kept apart from HTTP so they can be tested alone."""

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from accounts.models import Account

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%` and `_` in `text` taken literally."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def account_conditions(
    *,
    kind: str | None = None,
    category: str | None = None,
    town: str | None = None,
    q: str | None = None,
    status: str = "active",
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the given filters; a missing or blank filter matches every account.

    `status` is active (the default: retired accounts leave the list), retired or all.
    """
    conditions: list[ColumnElement[bool]] = []
    if status != "all":
        conditions.append(col(Account.status) == status)
    if kind:
        conditions.append(col(Account.kind) == kind)
    if category:
        conditions.append(col(Account.category) == category)
    if town:
        conditions.append(col(Account.town) == town)
    if q and q.strip():
        pattern = contains_pattern(q.strip())
        conditions.append(
            or_(
                col(Account.name).ilike(pattern, escape=LIKE_ESCAPE),
                col(Account.description).ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    return conditions
