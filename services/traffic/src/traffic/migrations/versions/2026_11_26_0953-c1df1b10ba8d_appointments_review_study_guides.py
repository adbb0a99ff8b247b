"""appointments review study guides

Revision ID: c1df1b10ba8d
Revises: cbd0cbec6d85
Create Date: 2026-11-26 09:53:34.197861
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c1df1b10ba8d"
down_revision: str | None = "cbd0cbec6d85"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment_business",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_appointment_business")),
    )
    op.create_table(
        "guide",
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=False),
        sa.Column("offices", sa.JSON(), nullable=False),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("time_limit", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("online", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("keywords", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide")),
    )
    op.create_table(
        "office",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("opens_saturday", sa.Boolean(), nullable=False),
        sa.Column("slot_capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_office")),
    )
    op.create_table(
        "appointment_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "booked >= 0 AND booked <= capacity",
            name=op.f("ck_appointment_slot_booked_within_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["office_code"], ["office.code"], name=op.f("fk_appointment_slot_office_code_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_slot")),
        sa.UniqueConstraint("office_code", "starts_at", name="uq_appointment_slot_office_start"),
    )
    op.create_table(
        "review_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("cycle_start", sa.Date(), nullable=False),
        sa.Column("cycle_end", sa.Date(), nullable=False),
        sa.Column("studied_minutes", sa.Integer(), nullable=False),
        sa.Column("exam_score", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["driver_licence.id"],
            name=op.f("fk_review_completion_licence_id_driver_licence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_completion")),
        sa.UniqueConstraint("licence_id", "cycle_start", name="uq_review_completion_licence_cycle"),
    )
    op.create_table(
        "review_study_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("cycle_start", sa.Date(), nullable=False),
        sa.Column("course_code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("studied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["driver_licence.id"],
            name=op.f("fk_review_study_record_licence_id_driver_licence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_study_record")),
    )
    with op.batch_alter_table("review_study_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_study_record_licence_id"), ["licence_id"], unique=False
        )

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("business_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_code"],
            ["appointment_business.code"],
            name=op.f("fk_appointment_business_code_appointment_business"),
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["appointment_slot.id"],
            name=op.f("fk_appointment_slot_id_appointment_slot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
        sa.UniqueConstraint("citizen_id", "idempotency_key", name="uq_appointment_citizen_key"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_slot_id"), ["slot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_slot_id"))

    op.drop_table("appointment")
    with op.batch_alter_table("review_study_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_study_record_licence_id"))

    op.drop_table("review_study_record")
    op.drop_table("review_completion")
    op.drop_table("appointment_slot")
    op.drop_table("office")
    op.drop_table("guide")
    op.drop_table("appointment_business")
