"""issuances warnings bulletins audit

Revision ID: ab7886ee4193
Revises: 8710d16fd3bb
Create Date: 2026-11-26 09:30:02.419795
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "ab7886ee4193"
down_revision: str | None = "8710d16fd3bb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "bulletin",
        sa.Column("bulletin_date", sa.Date(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=140), nullable=False),
        sa.Column("written_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bulletin_date", name=op.f("pk_bulletin")),
    )
    op.create_table(
        "forecast_issuance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forecast_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_issuance")),
        sa.UniqueConstraint(
            "forecast_date", "version", name=op.f("uq_forecast_issuance_forecast_date")
        ),
    )
    with op.batch_alter_table("forecast_issuance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forecast_issuance_forecast_date"), ["forecast_date"], unique=False
        )

    op.create_table(
        "warning_signal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("colour", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_signal")),
        sa.UniqueConstraint("active_key", name=op.f("uq_warning_signal_active_key")),
    )
    with op.batch_alter_table("warning_signal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warning_signal_area"), ["area"], unique=False)

    op.create_table(
        "issued_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuance_id", sa.Integer(), nullable=False),
        sa.Column("location_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("day_code", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("night_code", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("wmo_code", sa.Integer(), nullable=True),
        sa.Column("temp_min_c", sa.Integer(), nullable=False),
        sa.Column("temp_max_c", sa.Integer(), nullable=False),
        sa.Column("rain_mm", sa.Float(), nullable=False),
        sa.Column("rain_probability", sa.Integer(), nullable=False),
        sa.Column("wind_direction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("wind_force", sa.Integer(), nullable=False),
        sa.Column("uv_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuance_id"],
            ["forecast_issuance.id"],
            name=op.f("fk_issued_day_issuance_id_forecast_issuance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_day")),
        sa.UniqueConstraint(
            "issuance_id", "location_code", "day", name=op.f("uq_issued_day_issuance_id")
        ),
    )
    with op.batch_alter_table("issued_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_day_location_code"), ["location_code"], unique=False
        )

    op.create_table(
        "warning_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("colour", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("previous_colour", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["warning_signal.id"],
            name=op.f("fk_warning_event_signal_id_warning_signal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_event")),
    )
    with op.batch_alter_table("warning_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warning_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_warning_event_signal_id"), ["signal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("warning_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_event_signal_id"))
        batch_op.drop_index(batch_op.f("ix_warning_event_at"))

    op.drop_table("warning_event")
    with op.batch_alter_table("issued_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_day_location_code"))

    op.drop_table("issued_day")
    with op.batch_alter_table("warning_signal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_signal_area"))

    op.drop_table("warning_signal")
    with op.batch_alter_table("forecast_issuance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_issuance_forecast_date"))

    op.drop_table("forecast_issuance")
    op.drop_table("bulletin")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
