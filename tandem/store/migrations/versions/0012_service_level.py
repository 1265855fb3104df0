"""service level (W4): offered contacts and handle time per staffing interval, and each business
unit's service-level goal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GOAL = ("sl_target_percent", "sl_threshold_seconds", "sl_floor_percent", "sl_patience_seconds")
_VOLUME = ("contacts", "aht_seconds")


def upgrade() -> None:
    # batch_alter_table: SQLite cannot alter tables in place; on PostgreSQL it is plain ALTERs.
    with op.batch_alter_table("wfm_business_units") as batch:
        for name in _GOAL:
            batch.add_column(sa.Column(name, sa.Double(), nullable=True))
    with op.batch_alter_table("wfm_staffing") as batch:
        for name in _VOLUME:
            batch.add_column(sa.Column(name, sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wfm_staffing") as batch:
        for name in reversed(_VOLUME):
            batch.drop_column(name)
    with op.batch_alter_table("wfm_business_units") as batch:
        for name in reversed(_GOAL):
            batch.drop_column(name)
