"""wfm: business units, imported weeks, shifts, activities, staffing (SPEC W1)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.store.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wfm_business_units",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "wfm_weeks",
        sa.Column("business_unit", sa.String(length=100), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["business_unit"], ["wfm_business_units.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("business_unit", "week_start"),
    )
    op.create_index(
        "ix_wfm_weeks_unit_time", "wfm_weeks", ["business_unit", "starts_at", "ends_at"]
    )
    op.create_table(
        "wfm_shifts",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("business_unit", sa.String(length=100), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "starts_at"),
    )
    op.create_index("ix_wfm_shifts_unit_week", "wfm_shifts", ["business_unit", "week_start"])
    op.create_index("ix_wfm_shifts_unit_time", "wfm_shifts", ["business_unit", "starts_at"])
    op.create_table(
        "wfm_activities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("shift_starts_at", UtcDateTime(), nullable=False),
        sa.Column("business_unit", sa.String(length=100), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("interruptible", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wfm_activities_shift", "wfm_activities", ["user_id", "shift_starts_at"])
    op.create_index(
        "ix_wfm_activities_unit_week", "wfm_activities", ["business_unit", "week_start"]
    )
    op.create_table(
        "wfm_staffing",
        sa.Column("business_unit", sa.String(length=100), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("forecast", sa.Double(), nullable=False),
        sa.Column("scheduled", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["business_unit"], ["wfm_business_units.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("business_unit", "starts_at"),
    )


def downgrade() -> None:
    op.drop_table("wfm_staffing")
    op.drop_index("ix_wfm_activities_unit_week", table_name="wfm_activities")
    op.drop_index("ix_wfm_activities_shift", table_name="wfm_activities")
    op.drop_table("wfm_activities")
    op.drop_index("ix_wfm_shifts_unit_time", table_name="wfm_shifts")
    op.drop_index("ix_wfm_shifts_unit_week", table_name="wfm_shifts")
    op.drop_table("wfm_shifts")
    op.drop_index("ix_wfm_weeks_unit_time", table_name="wfm_weeks")
    op.drop_table("wfm_weeks")
    op.drop_table("wfm_business_units")
