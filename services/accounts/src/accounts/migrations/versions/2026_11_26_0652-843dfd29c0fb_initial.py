"""initial

Revision ID: 843dfd29c0fb
Revises:
Create Date: 2026-11-26 06:52:44.717197
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "843dfd29c0fb"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("wechat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("verified_entity", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("agency", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("launch_date", sa.Date(), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_account")),
    )


def downgrade() -> None:
    op.drop_table("account")
