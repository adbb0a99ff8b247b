"""Deterministic demo data of the accounts service, one seed function per area. Idempotent."""

from sqlmodel import Session

from accounts.citizens_seed import seed_demo_citizens
from accounts.registry_seed import seed_chat_config, seed_registry
from accounts.statistics_seed import seed_statistics


def seed(session: Session) -> str:
    """Seed every area in dependency order; one summary per area."""
    return "; ".join(
        [
            seed_registry(session=session),
            seed_chat_config(session=session),
            seed_statistics(session=session),
            seed_demo_citizens(session=session),
        ]
    )
