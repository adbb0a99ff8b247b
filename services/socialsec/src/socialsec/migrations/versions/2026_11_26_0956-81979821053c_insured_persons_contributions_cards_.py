"""insured persons contributions cards bindings certificates

Revision ID: 81979821053c
Revises: 237a2492fbca
Create Date: 2026-11-26 09:56:38.348916
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "81979821053c"
down_revision: str | None = "237a2492fbca"
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
        "contribution_rate",
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("insurance", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("employer_bp", sa.Integer(), nullable=False),
        sa.Column("employee_bp", sa.Integer(), nullable=False),
        sa.Column("base_min_fen", sa.Integer(), nullable=False),
        sa.Column("base_max_fen", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.PrimaryKeyConstraint(
            "region", "insurance", "effective_from", name=op.f("pk_contribution_rate")
        ),
    )
    op.create_table(
        "employer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer")),
        sa.UniqueConstraint("name", name=op.f("uq_employer_name")),
    )
    op.create_table(
        "faq",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_faq")),
    )
    op.create_table(
        "insured_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("town", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("household_dongguan", sa.Boolean(), nullable=False),
        sa.Column("residence_permit", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("insured_since", sa.Date(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_insured_person_employer_id_employer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insured_person")),
        sa.UniqueConstraint("id_number", name=op.f("uq_insured_person_id_number")),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("resource", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["insured_person.id"],
            name=op.f("fk_access_log_person_id_insured_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_citizen_id"), ["citizen_id"], unique=False)

    op.create_table(
        "account_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("balance_fen", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["insured_person.id"],
            name=op.f("fk_account_entry_person_id_insured_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_entry")),
    )
    with op.batch_alter_table("account_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_entry_person_id"), ["person_id"], unique=False)

    op.create_table(
        "binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["insured_person.id"], name=op.f("fk_binding_person_id_insured_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding")),
        sa.UniqueConstraint("citizen_id", name=op.f("uq_binding_citizen_id")),
        sa.UniqueConstraint("person_id", name=op.f("uq_binding_person_id")),
    )
    op.create_table(
        "certificate",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=False),
        sa.Column("last_month", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder_name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("id_number", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["insured_person.id"],
            name=op.f("fk_certificate_person_id_insured_person"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_certificate")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_person_id"), ["person_id"], unique=False)

    op.create_table(
        "contribution_span",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=False),
        sa.Column("last_month", sa.Date(), nullable=False),
        sa.Column("base_fen", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_contribution_span_employer_id_employer")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["insured_person.id"],
            name=op.f("fk_contribution_span_person_id_insured_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_span")),
    )
    with op.batch_alter_table("contribution_span", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_span_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "pension_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["insured_person.id"],
            name=op.f("fk_pension_payment_person_id_insured_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pension_payment")),
    )
    with op.batch_alter_table("pension_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pension_payment_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "social_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("card_number", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("bank", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("bank_account", sqlmodel.sql.sqltypes.AutoString(length=19), nullable=False),
        sa.Column("pickup_office", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["insured_person.id"],
            name=op.f("fk_social_card_person_id_insured_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_card")),
        sa.UniqueConstraint("card_number", name=op.f("uq_social_card_card_number")),
        sa.UniqueConstraint("person_id", name=op.f("uq_social_card_person_id")),
    )
    op.create_table(
        "card_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"], ["social_card.id"], name=op.f("fk_card_event_card_id_social_card")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_event")),
    )
    with op.batch_alter_table("card_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_event_card_id"), ["card_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_event_card_id"))

    op.drop_table("card_event")
    op.drop_table("social_card")
    with op.batch_alter_table("pension_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pension_payment_person_id"))

    op.drop_table("pension_payment")
    with op.batch_alter_table("contribution_span", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_span_person_id"))

    op.drop_table("contribution_span")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_person_id"))

    op.drop_table("certificate")
    op.drop_table("binding")
    with op.batch_alter_table("account_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_entry_person_id"))

    op.drop_table("account_entry")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_log_citizen_id"))

    op.drop_table("access_log")
    op.drop_table("insured_person")
    op.drop_table("faq")
    op.drop_table("employer")
    op.drop_table("contribution_rate")
    with op.batch_alter_table("binding_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_binding_failure_citizen_id"))

    op.drop_table("binding_failure")
