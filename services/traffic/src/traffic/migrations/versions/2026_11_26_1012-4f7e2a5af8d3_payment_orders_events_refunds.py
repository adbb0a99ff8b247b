"""payment orders, events and refunds (fine payments over WeChat Pay)

Revision ID: 4f7e2a5af8d3
Revises: c1df1b10ba8d
Create Date: 2026-11-26 10:12:33.259621
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "4f7e2a5af8d3"
down_revision: str | None = "c1df1b10ba8d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("out_trade_no", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("decision_number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payer_openid", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=127), nullable=False),
        sa.Column("fine_fen", sa.Integer(), nullable=False),
        sa.Column("surcharge_fen", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("overdue_days", sa.Integer(), nullable=False),
        sa.Column("priced_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("failure_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("prepay_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("transaction_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("payer_total_fen", sa.Integer(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_reserved_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_fen = fine_fen + surcharge_fen",
            name=op.f("ck_payment_order_amount_is_fine_plus_surcharge"),
        ),
        sa.CheckConstraint(
            "refund_reserved_fen >= 0 AND refund_reserved_fen <= amount_fen",
            name=op.f("ck_payment_order_refunds_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_number"],
            ["penalty_decision.number"],
            name=op.f("fk_payment_order_decision_number_penalty_decision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_order")),
        sa.UniqueConstraint("citizen_id", "idempotency_key", name="uq_payment_order_citizen_key"),
        sa.UniqueConstraint("out_trade_no", name=op.f("uq_payment_order_out_trade_no")),
    )
    with op.batch_alter_table("payment_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_order_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_order_decision_number"), ["decision_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_order_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_payment_order_open_decision",
            ["decision_number"],
            unique=True,
            sqlite_where=sa.text("status IN ('created', 'started')"),
            postgresql_where=sa.text("status IN ('created', 'started')"),
        )

    op.create_table(
        "payment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment_order.id"],
            name=op.f("fk_payment_event_payment_id_payment_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_event")),
    )
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_event_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "payment_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("out_refund_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("refund_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("provider_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("officer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment_order.id"],
            name=op.f("fk_payment_refund_payment_id_payment_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refund")),
        sa.UniqueConstraint("out_refund_no", name=op.f("uq_payment_refund_out_refund_no")),
    )
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_refund_payment_id"), ["payment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_refund_payment_id"))

    op.drop_table("payment_refund")
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_event_payment_id"))

    op.drop_table("payment_event")
    with op.batch_alter_table("payment_order", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payment_order_open_decision",
            sqlite_where=sa.text("status IN ('created', 'started')"),
            postgresql_where=sa.text("status IN ('created', 'started')"),
        )
        batch_op.drop_index(batch_op.f("ix_payment_order_status"))
        batch_op.drop_index(batch_op.f("ix_payment_order_decision_number"))
        batch_op.drop_index(batch_op.f("ix_payment_order_citizen_id"))

    op.drop_table("payment_order")
