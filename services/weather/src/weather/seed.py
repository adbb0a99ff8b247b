"""Deterministic demo data: the 33 locations. Idempotent."""

from sqlmodel import Session

from weather.models import Location
from weather.reference import divisions


def seed(session: Session) -> str:
    """Insert or update every location of the reference table."""
    for d in divisions():
        session.merge(
            Location(
                code=d.code, name=d.name, kind=d.kind, lat=d.lat, lon=d.lon, confidence=d.confidence
            )
        )
    session.commit()
    return f"weather: {len(divisions())} locations"
