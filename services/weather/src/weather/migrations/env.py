"""Alembic environment of the weather database."""

from servicekit.db import run_migrations_online
from weather.models import Table

run_migrations_online(Table.metadata)
