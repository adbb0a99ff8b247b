"""articles written by editors, scheduled pushes

Revision ID: d1e0a7c3b514
Revises: 8c1f4a6e2d37
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d1e0a7c3b514"
down_revision: str | None = "8c1f4a6e2d37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "editor_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_code", _text(32), nullable=False),
        sa.Column("title", _text(64), nullable=False),
        sa.Column("author", _text(8), nullable=False),
        sa.Column("digest", _text(120), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("source_url", _text(1024), nullable=True),
        sa.Column("cover", sa.LargeBinary(), nullable=True),
        sa.Column("cover_type", _text(16), nullable=True),
        sa.Column("created_by", _text(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_editor_article_account_code_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_article")),
    )
    with op.batch_alter_table("editor_article", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_editor_article_account_code"), ["account_code"], unique=False
        )

    op.create_table(
        "article_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("account_code", _text(32), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience", _text(8), nullable=False),
        sa.Column("town", _text(32), nullable=True),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", _text(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("msg_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", _text(500), nullable=True),
        sa.Column("created_by", _text(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_article_push_account_code_account")
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["editor_article.id"],
            name=op.f("fk_article_push_article_id_editor_article"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_push")),
        sa.UniqueConstraint("article_id", name=op.f("uq_article_push_article_id")),
    )
    with op.batch_alter_table("article_push", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_push_account_code"), ["account_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_article_push_send_at"), ["send_at"], unique=False)


def downgrade() -> None:
    op.drop_table("article_push")
    op.drop_table("editor_article")
