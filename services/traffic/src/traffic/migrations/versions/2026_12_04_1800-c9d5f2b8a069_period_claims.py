"""period claims of scheduled jobs (reconciliation once per period across replicas)

Revision ID: c9d5f2b8a069
Revises: b8c4e1a7f958
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c9d5f2b8a069"
down_revision: str | None = "b8c4e1a7f958"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "period_claim",
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.PrimaryKeyConstraint("job", "period_start", name=op.f("pk_period_claim")),
    )


def downgrade() -> None:
    op.drop_table("period_claim")
