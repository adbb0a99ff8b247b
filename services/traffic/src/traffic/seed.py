"""Deterministic demo data: the violation codes. Idempotent."""

from sqlmodel import Session

from traffic.models import ViolationCode
from traffic.reference import violation_codes


def seed(session: Session) -> str:
    """Insert or update every violation code of the reference table."""
    for row in violation_codes():
        session.merge(
            ViolationCode(
                code=row.code,
                description=row.description,
                points=row.points,
                fine_fen=row.fine_fen,
                verified=row.verified,
            )
        )
    session.commit()
    return f"traffic: {len(violation_codes())} violation codes"
