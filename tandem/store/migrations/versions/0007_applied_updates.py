"""idempotent changes: the outcome a workflow recorded for a keyed request

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as table:
        table.add_column(sa.Column("update_id", sa.String(length=80), nullable=True))
        table.add_column(sa.Column("applied", sa.JSON(), nullable=True))
        table.add_column(sa.Column("view", sa.String(length=20), nullable=True))
        table.create_index("ix_idempotency_keys_update_id", ["update_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as table:
        table.drop_index("ix_idempotency_keys_update_id")
        table.drop_column("view")
        table.drop_column("applied")
        table.drop_column("update_id")
