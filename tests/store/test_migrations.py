"""The Alembic migrations build exactly the schema the code maps (DESIGN: store owns migrations)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tandem.store.db import Database
from tandem.store.schema import Base


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.writer.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
