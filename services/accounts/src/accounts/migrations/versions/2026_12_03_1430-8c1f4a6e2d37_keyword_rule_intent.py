"""keyword rules name chat intents, not gateway handlers

Revision ID: 8c1f4a6e2d37
Revises: 5b7d2e91c4a0
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c1f4a6e2d37"
down_revision: str | None = "5b7d2e91c4a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old_column: str, new_column: str, old_type: str, new_type: str) -> None:
    with op.batch_alter_table("keyword_rule", schema=None) as batch_op:
        batch_op.alter_column(old_column, new_column_name=new_column)
    op.execute(
        sa.text("UPDATE keyword_rule SET reply_type = :new WHERE reply_type = :old").bindparams(
            new=new_type, old=old_type
        )
    )


def upgrade() -> None:
    _rename("handler", "intent", "handler", "intent")


def downgrade() -> None:
    _rename("intent", "handler", "intent", "handler")
