"""Deterministic demo data: offices, rates, FAQ, and the population of `socialsec.population`.

Idempotent: reference rows (offices, rates, FAQ) are upserted; the population is inserted only
into a database without it, so bindings and certificates made since are never overwritten.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from sqlalchemy import insert
from sqlmodel import Session, func, select

from servicekit.clock import today, utcnow
from socialsec.models import (
    AccountEntry,
    Binding,
    CardEvent,
    ContributionRate,
    ContributionSpan,
    Employer,
    Faq,
    InsuredPerson,
    Office,
    PensionPayment,
    SocialCard,
)
from socialsec.population import DEMO_PEOPLE, generate_population
from socialsec.rates import rate_table
from socialsec.reference import faq, offices


def seed_reference(session: Session) -> str:
    """Insert or update the offices, the rate table and the FAQ."""
    office_rows = [Office(**row.model_dump()) for row in offices()]
    rate_rows = [ContributionRate(**asdict(rate)) for rate in rate_table()]
    faq_rows = [Faq(**item.model_dump()) for item in faq()]
    for row in (*office_rows, *rate_rows, *faq_rows):
        session.merge(row)
    session.commit()
    return f"{len(office_rows)} offices, {len(rate_rows)} rates, {len(faq_rows)} FAQ"


def _insert_returning_ids(session: Session, table: type, rows: list[dict]) -> list[int]:
    """Bulk-insert `rows` and return their new ids in the same order."""
    if not rows:
        return []
    statement = insert(table).returning(table.id, sort_by_parameter_order=True)  # type: ignore[attr-defined]
    return [row_id for (row_id,) in session.execute(statement, rows).all()]


def _resolved(rows: list[dict], **ids: list[int]) -> list[dict]:
    """Rows with index references (`person`, `card`...) replaced by `<name>_id` columns."""
    return [
        {
            **{k: v for k, v in row.items() if k not in ids},
            **{f"{k}_id": None if row[k] is None else ids[k][row[k]] for k in ids},
        }
        for row in rows
    ]


def seed_population(session: Session, *, anchor: date) -> str:
    """Insert the population anchored on `anchor`, unless the database already has it."""
    demo_id = DEMO_PEOPLE[0].citizen.id_number
    if session.exec(select(InsuredPerson.id).where(InsuredPerson.id_number == demo_id)).first():
        count = session.exec(select(func.count()).select_from(InsuredPerson)).one()
        return f"population already present ({count} insured persons)"
    population = generate_population(anchor=anchor)
    employer_ids = _insert_returning_ids(session, Employer, population.employers)
    person_ids = _insert_returning_ids(
        session, InsuredPerson, _resolved(population.persons, employer=employer_ids)
    )
    card_ids = _insert_returning_ids(
        session, SocialCard, _resolved(population.cards, person=person_ids)
    )
    session.execute(insert(CardEvent), _resolved(population.card_events, card=card_ids))
    session.execute(
        insert(ContributionSpan),
        _resolved(population.spans, person=person_ids, employer=employer_ids),
    )
    session.execute(insert(AccountEntry), _resolved(population.entries, person=person_ids))
    session.execute(insert(PensionPayment), _resolved(population.payments, person=person_ids))
    now = utcnow()
    session.execute(
        insert(Binding),
        [
            {"citizen_id": citizen_id, "person_id": person_ids[person], "created_at": now}
            for citizen_id, person in population.bindings
        ],
    )
    session.commit()
    return (
        f"{len(person_ids)} insured persons, {len(employer_ids)} employers, "
        f"{len(population.spans)} contribution spans, {len(population.entries)} account entries, "
        f"{len(population.payments)} pension payments (anchored on {anchor.isoformat()}), "
        f"{len(population.bindings)} demo bindings"
    )


def seed_at(session: Session, *, anchor: date) -> str:
    """Seed the reference rows and the population anchored on `anchor`."""
    return f"socialsec: {seed_reference(session)}; {seed_population(session, anchor=anchor)}"


def seed(session: Session) -> str:
    """Seed everything, the population anchored on today (Asia/Shanghai)."""
    return seed_at(session, anchor=today())
