"""Deterministic demo data: one social-security branch office per division. Idempotent."""

from dataclasses import asdict

from sqlmodel import Session

from socialsec.models import Office
from socialsec.reference import offices


def seed(session: Session) -> str:
    """Insert or update the branch office of every division."""
    rows = offices()
    for row in rows:
        session.merge(Office(**asdict(row)))
    session.commit()
    return f"socialsec: {len(rows)} offices"
