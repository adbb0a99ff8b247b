"""Deterministic demo data: the city's official accounts. Idempotent."""

from sqlmodel import Session

from accounts.models import Account
from accounts.reference import official_accounts


def seed(session: Session) -> str:
    """Insert or update every account of the reference table."""
    rows = official_accounts()
    for row in rows:
        session.merge(Account(**row.model_dump()))
    session.commit()
    return f"accounts: {len(rows)} official accounts"
