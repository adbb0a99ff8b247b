"""Alembic environment of the accounts database."""

from accounts.models import Table
from servicekit.db import run_migrations_online

run_migrations_online(Table.metadata)
