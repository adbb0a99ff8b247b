"""initial

Revision ID: 237a2492fbca
Revises:
Create Date: 2026-11-26 06:51:08.504124
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "237a2492fbca"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office",
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("town_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("phone_demo", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("town", name=op.f("pk_office")),
    )


def downgrade() -> None:
    op.drop_table("office")
