"""Alembic environment of the traffic database."""

from servicekit.db import run_migrations_online
from traffic.models import Table

run_migrations_online(Table.metadata)
