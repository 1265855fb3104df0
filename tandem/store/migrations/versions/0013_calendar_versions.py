"""connected calendars (K3): what identifies the version last read (ETag, Last-Modified or a
CalDAV ctag), so an unchanged calendar costs one small request

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_connections") as table:
        table.add_column(sa.Column("etag", sa.Text(), nullable=True))
        table.add_column(sa.Column("last_modified", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_connections") as table:
        table.drop_column("last_modified")
        table.drop_column("etag")
