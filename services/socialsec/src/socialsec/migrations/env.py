"""Alembic environment of the socialsec database."""

from servicekit.db import run_migrations_online
from socialsec.models import Table

run_migrations_online(Table.metadata)
