"""registry chat statistics citizens

Revision ID: 166fbe1e5efb
Revises: 843dfd29c0fb
Create Date: 2026-11-26 07:35:02.668223
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "166fbe1e5efb"
down_revision: str | None = "843dfd29c0fb"
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
        "citizen",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("unionid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen")),
        sa.UniqueConstraint("unionid", name=op.f("uq_citizen_unionid")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_citizen_id"), ["citizen_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_message_next_attempt_at"), ["next_attempt_at"], unique=False
        )

    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("is_headline", sa.Boolean(), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("wows", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_article_account_code_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("account_code", "url", name=op.f("uq_article_account_code")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_account_published", ["account_code", "published_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_article_published_at"), ["published_at"], unique=False)

    op.create_table(
        "chat_config",
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("menu", sa.JSON(), nullable=True),
        sa.Column("welcome_text", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_chat_config_account_code_account")
        ),
        sa.PrimaryKeyConstraint("account_code", name=op.f("pk_chat_config")),
    )
    op.create_table(
        "citizen_openid",
        sa.Column("openid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_citizen_openid_account_code_account")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizen.id"], name=op.f("fk_citizen_openid_citizen_id_citizen")
        ),
        sa.PrimaryKeyConstraint("openid", name=op.f("pk_citizen_openid")),
        sa.UniqueConstraint(
            "citizen_id", "account_code", name=op.f("uq_citizen_openid_citizen_id")
        ),
    )
    with op.batch_alter_table("citizen_openid", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_openid_citizen_id"), ["citizen_id"], unique=False
        )

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizen.id"], name=op.f("fk_consent_citizen_id_citizen")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_citizen_id"), ["citizen_id"], unique=False)

    op.create_table(
        "follower",
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("openid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_follower_account_code_account")
        ),
        sa.PrimaryKeyConstraint("account_code", "openid", name=op.f("pk_follower")),
    )
    op.create_table(
        "follower_count",
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_follower_count_account_code_account")
        ),
        sa.PrimaryKeyConstraint("account_code", "day", name=op.f("pk_follower_count")),
    )
    op.create_table(
        "follower_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("openid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_follower_event_account_code_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follower_event")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_follower_event_dedup_key")),
    )
    with op.batch_alter_table("follower_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_follower_event_account_code"), ["account_code"], unique=False
        )

    op.create_table(
        "keyword_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("match", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("patterns", sa.JSON(), nullable=False),
        sa.Column("reply_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reply_text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("articles", sa.JSON(), nullable=True),
        sa.Column("handler", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_code"], ["account.code"], name=op.f("fk_keyword_rule_account_code_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_rule")),
        sa.UniqueConstraint("account_code", "position", name=op.f("uq_keyword_rule_account_code")),
    )
    with op.batch_alter_table("keyword_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_keyword_rule_account_code"), ["account_code"], unique=False
        )

    op.create_table(
        "article_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("wows", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_snapshot_article_id_article")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_snapshot")),
    )
    with op.batch_alter_table("article_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_snapshot_article_id"), ["article_id"], unique=False
        )

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("appid", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("appid")

    with op.batch_alter_table("article_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_snapshot_article_id"))

    op.drop_table("article_snapshot")
    with op.batch_alter_table("keyword_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keyword_rule_account_code"))

    op.drop_table("keyword_rule")
    with op.batch_alter_table("follower_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follower_event_account_code"))

    op.drop_table("follower_event")
    op.drop_table("follower_count")
    op.drop_table("follower")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_citizen_id"))

    op.drop_table("consent")
    with op.batch_alter_table("citizen_openid", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_openid_citizen_id"))

    op.drop_table("citizen_openid")
    op.drop_table("chat_config")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_published_at"))
        batch_op.drop_index("ix_article_account_published")

    op.drop_table("article")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_citizen_id"))

    op.drop_table("outbox_message")
    op.drop_table("citizen")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_entity_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
