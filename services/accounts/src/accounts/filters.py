"""Search conditions of the account list, kept apart from HTTP so they can be tested alone."""

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from accounts.models import Account
from servicekit.search import contains


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
        text = q.strip()
        conditions.append(
            or_(
                contains(col(Account.name), text, ignore_case=True),
                contains(col(Account.description), text, ignore_case=True),
            )
        )
    return conditions
