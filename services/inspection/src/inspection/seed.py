"""`python -m inspection seed`: the demo registry of `inspection.population`, inserted in bulk
into a database without it (idempotent: a registry already present is left as it is, so the
standing recorded since is never overwritten)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert
from sqlmodel import Session, func, select

from inspection.models import Equipment, UserUnit
from inspection.population import DEMO_LIFT, generate_registry
from servicekit.clock import today


def seed_at(session: Session, *, anchor: date) -> str:
    """Insert the registry anchored on `anchor` unless the demo lift is already there."""
    if session.get(Equipment, DEMO_LIFT) is not None:
        count = session.exec(select(func.count()).select_from(Equipment)).one()
        return f"registry already present ({count} pieces of equipment)"
    registry = generate_registry(anchor=anchor)
    session.execute(insert(UserUnit), registry.units)
    session.execute(insert(Equipment), registry.equipment)
    session.commit()
    return f"{len(registry.units)} user units, {len(registry.equipment)} pieces of equipment"


def seed(session: Session) -> str:
    """The registry anchored on today in Dongguan."""
    return seed_at(session, anchor=today())
