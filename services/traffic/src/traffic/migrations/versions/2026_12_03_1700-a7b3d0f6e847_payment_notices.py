"""template-message notices of successful payments

Revision ID: a7b3d0f6e847
Revises: 4f7e2a5af8d3
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a7b3d0f6e847"
down_revision: str | None = "4f7e2a5af8d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("openid", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("decision_number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment_order.id"],
            name=op.f("fk_payment_notice_payment_id_payment_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notice")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_notice_payment_id")),
    )
    with op.batch_alter_table("payment_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_notice_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_notice_next_attempt_at"))
    op.drop_table("payment_notice")
