"""vehicles licences violations bindings

Revision ID: cbd0cbec6d85
Revises: 2a0d93bc217d
Create Date: 2026-11-26 09:33:59.618038
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "cbd0cbec6d85"
down_revision: str | None = "2a0d93bc217d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "binding_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_failure")),
    )
    with op.batch_alter_table("binding_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_binding_failure_citizen_id"), ["citizen_id"], unique=False
        )

    op.create_table(
        "driver_licence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("file_number", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("holder_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("licence_class", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("first_issued_on", sa.Date(), nullable=False),
        sa.Column("serious_offence", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("serious_offence_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver_licence")),
        sa.UniqueConstraint("file_number", name=op.f("uq_driver_licence_file_number")),
        sa.UniqueConstraint("licence_number", name=op.f("uq_driver_licence_licence_number")),
    )
    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("vin", sqlmodel.sql.sqltypes.AutoString(length=17), nullable=False),
        sa.Column("vehicle_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("owner_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("plate", name=op.f("uq_vehicle_plate")),
        sa.UniqueConstraint("vin", name=op.f("uq_vehicle_vin")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicle_owner_id_number"), ["owner_id_number"], unique=False
        )

    op.create_table(
        "binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("licence_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(vehicle_id IS NULL) <> (licence_id IS NULL)", name=op.f("ck_binding_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"], ["driver_licence.id"], name=op.f("fk_binding_licence_id_driver_licence")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_binding_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding")),
        sa.UniqueConstraint("citizen_id", "licence_id", name="uq_binding_citizen_licence"),
        sa.UniqueConstraint("citizen_id", "vehicle_id", name="uq_binding_citizen_vehicle"),
    )
    op.create_table(
        "full_score_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("cleared_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["driver_licence.id"],
            name=op.f("fk_full_score_record_licence_id_driver_licence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_full_score_record")),
    )
    with op.batch_alter_table("full_score_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_full_score_record_licence_id"), ["licence_id"], unique=False
        )

    op.create_table(
        "point_study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("studied_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["driver_licence.id"],
            name=op.f("fk_point_study_licence_id_driver_licence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_study")),
    )
    with op.batch_alter_table("point_study", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_study_licence_id"), ["licence_id"], unique=False)

    op.create_table(
        "violation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("fine_fen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"], ["violation_code.code"], name=op.f("fk_violation_code_violation_code")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_violation_vehicle_id_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation")),
    )
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_violation_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "penalty_decision",
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("fine_fen", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_fen", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["driver_licence.id"],
            name=op.f("fk_penalty_decision_licence_id_driver_licence"),
        ),
        sa.ForeignKeyConstraint(
            ["violation_id"],
            ["violation.id"],
            name=op.f("fk_penalty_decision_violation_id_violation"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_penalty_decision")),
        sa.UniqueConstraint("violation_id", name=op.f("uq_penalty_decision_violation_id")),
    )
    with op.batch_alter_table("penalty_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_penalty_decision_licence_id"), ["licence_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("penalty_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_penalty_decision_licence_id"))

    op.drop_table("penalty_decision")
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_violation_vehicle_id"))

    op.drop_table("violation")
    with op.batch_alter_table("point_study", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_point_study_licence_id"))

    op.drop_table("point_study")
    with op.batch_alter_table("full_score_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_full_score_record_licence_id"))

    op.drop_table("full_score_record")
    op.drop_table("binding")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_owner_id_number"))

    op.drop_table("vehicle")
    op.drop_table("driver_licence")
    with op.batch_alter_table("binding_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_binding_failure_citizen_id"))

    op.drop_table("binding_failure")
