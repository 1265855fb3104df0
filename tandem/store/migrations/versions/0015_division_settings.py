"""division settings (W7+, issue 12): whether Tandem rebooks coaching a WFM change broke by
itself, and how many days ahead it looks for replacement slots

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.store.types import UtcDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "division_settings",
        sa.Column("division", sa.String(100), primary_key=True),
        sa.Column("auto_rebook", sa.Boolean(), nullable=False),
        sa.Column("replacement_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(36), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("division_settings")
