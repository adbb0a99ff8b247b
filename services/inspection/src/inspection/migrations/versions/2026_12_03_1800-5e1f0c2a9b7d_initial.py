"""initial: user units and the equipment registry

Revision ID: 5e1f0c2a9b7d
Revises:
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5e1f0c2a9b7d"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_unit",
        sa.Column("credit_code", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", name=op.f("pk_user_unit")),
    )
    op.create_table(
        "equipment",
        sa.Column("registration_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "certificate_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("variety_code", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("user_unit_code", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("in_service", sa.Date(), nullable=False),
        sa.Column("last_inspection", sa.Date(), nullable=True),
        sa.Column("conclusion", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("safety_level", sa.Integer(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_unit_code"],
            ["user_unit.credit_code"],
            name=op.f("fk_equipment_user_unit_code_user_unit"),
        ),
        sa.PrimaryKeyConstraint("registration_code", name=op.f("pk_equipment")),
        sa.UniqueConstraint("certificate_number", name=op.f("uq_equipment_certificate_number")),
    )
    op.create_index(op.f("ix_equipment_next_due"), "equipment", ["next_due"], unique=False)
    op.create_index(
        op.f("ix_equipment_user_unit_code"), "equipment", ["user_unit_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_equipment_user_unit_code"), table_name="equipment")
    op.drop_index(op.f("ix_equipment_next_due"), table_name="equipment")
    op.drop_table("equipment")
    op.drop_table("user_unit")
