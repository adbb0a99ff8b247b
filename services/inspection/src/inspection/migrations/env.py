"""Alembic environment of the inspection database."""

from inspection.models import Table
from servicekit.db import run_migrations_online

run_migrations_online(Table.metadata)
