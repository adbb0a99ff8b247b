"""statistics imported from the platform's data APIs

Revision ID: e2f1b8d4c625
Revises: d1e0a7c3b514
Create Date: 2026-12-03 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e2f1b8d4c625"
down_revision: str | None = "d1e0a7c3b514"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "statistics_import",
        sa.Column("account_code", _text(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("new_followers", sa.Integer(), nullable=False),
        sa.Column("cancelled_followers", sa.Integer(), nullable=False),
        sa.Column("error", _text(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_code"],
            ["account.code"],
            name=op.f("fk_statistics_import_account_code_account"),
        ),
        sa.PrimaryKeyConstraint("account_code", "day", name=op.f("pk_statistics_import")),
    )
    op.create_table(
        "article_day_statistic",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_code", _text(32), nullable=False),
        sa.Column("msgid", _text(40), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("read_users", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("favourites", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"],
            ["account.code"],
            name=op.f("fk_article_day_statistic_account_code_account"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_day_statistic_article_id_article")
        ),
        sa.PrimaryKeyConstraint("article_id", "day", name=op.f("pk_article_day_statistic")),
    )
    with op.batch_alter_table("article_day_statistic", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_day_statistic_account_day", ["account_code", "day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("article_day_statistic", schema=None) as batch_op:
        batch_op.drop_index("ix_article_day_statistic_account_day")
    op.drop_table("article_day_statistic")
    op.drop_table("statistics_import")
