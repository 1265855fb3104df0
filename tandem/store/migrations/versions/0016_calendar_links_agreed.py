"""connected calendars (K3): what each linked event and its Tandem side last agreed on (so a
pass tells a change in the calendar from one made in Tandem, which is written back), and why a
link was disconnected ("this and following" split)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_links") as table:
        table.add_column(sa.Column("agreed", sa.Text(), nullable=True))
        table.add_column(sa.Column("agreed_version", sa.Integer(), nullable=True))
        table.add_column(sa.Column("disconnected", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_links") as table:
        table.drop_column("disconnected")
        table.drop_column("agreed_version")
        table.drop_column("agreed")
